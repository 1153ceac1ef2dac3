import { DATA_QUALITY_ALARM, type RulMethod, SEVERITY_RANK, type Severity } from '../../domain.js'
import type { Db } from '../client.js'

/** An episode's remaining-useful-life estimate (the API's `RulEstimate`), as stored on its row. */
export interface RulColumns {
  rul_days: number | null
  rul_low_days: number | null
  rul_high_days: number | null
  rul_method: RulMethod | null
  rul_limit: number | null
}

export interface OpenSummary {
  open: number
  worst: Severity
  worstEventId: string
  rul: RulColumns
  /** The worst alarm's account (its headline is made of these) and latest diagnosis. */
  anomalyType: string
  signals: unknown[]
  diagnosis: string | null
}

/**
 * Per vehicle: how many unresolved maintenance episodes (a data-quality alarm is not one), and the worst of them (highest severity, then the
 * newest: the one the chat agent talks about), whose row holds the RUL the health card shows.
 */
export async function openSummary(db: Db, vehicleIds: string[]): Promise<Map<string, OpenSummary>> {
  if (vehicleIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('anomaly_events')
    .select((eb) =>
      eb
        .selectFrom('diagnoses as d')
        .select('d.diagnosis_text')
        .whereRef('d.anomaly_event_id', '=', 'anomaly_events.id')
        .orderBy('d.created_at', 'desc')
        .limit(1)
        .as('diagnosis'),
    )
    .select([
      'vehicle_id',
      'id',
      'anomaly_type',
      'signals',
      'severity',
      'detected_at',
      'rul_prediction',
      'rul_low_days',
      'rul_high_days',
      'rul_method',
      'rul_limit',
    ])
    .where('vehicle_id', 'in', vehicleIds)
    .where('status', '<>', 'RESOLVED')
    .where('anomaly_type', '<>', DATA_QUALITY_ALARM)
    .orderBy('detected_at', 'desc')
    .execute()
  const out = new Map<string, OpenSummary>()
  for (const r of rows) {
    const seen = out.get(r.vehicle_id)
    if (seen) seen.open++
    const worse = !seen || SEVERITY_RANK[r.severity] > SEVERITY_RANK[seen.worst]
    if (!worse) continue
    out.set(r.vehicle_id, {
      open: seen?.open ?? 1,
      worst: r.severity,
      worstEventId: r.id,
      anomalyType: r.anomaly_type,
      signals: r.signals,
      diagnosis: r.diagnosis ?? null,
      rul: {
        rul_days: r.rul_prediction,
        rul_low_days: r.rul_low_days,
        rul_high_days: r.rul_high_days,
        rul_method: r.rul_method,
        rul_limit: r.rul_limit,
      },
    })
  }
  return out
}
