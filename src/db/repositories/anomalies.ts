import { sql } from 'kysely'
import { DATA_QUALITY_ALARM, type RulMethod, SEVERITY_RANK, type Severity } from '../../domain.js'
import type { Db } from '../client.js'
import { json } from '../client.js'
import { isUniqueViolation } from '../errors.js'
import type { AnomalyEvent } from '../schema.js'
import { openSummary, type RulColumns } from './open-summary.js'

export type { OpenSummary, RulColumns } from './open-summary.js'

export interface NewAnomalyDetails {
  detectedAt?: Date | string
  reason?: string | null
  signals?: unknown[]
  rul?: RulColumns | null
  peakValues?: Record<string, number>
  /** The episode opens flapping (see `FlapTracker`). */
  flapping?: boolean
}

interface RulRow {
  rul_prediction: number | null
  rul_low_days: number | null
  rul_high_days: number | null
  rul_method: RulMethod | null
  rul_limit: number | null
  rul_estimated_at: Date | string
}

/** The row's columns for `rul`, estimated at `at` (the reading's time). */
function rulRow(rul: RulColumns | null | undefined, at: Date | string | undefined): Partial<RulRow> {
  if (!rul) return {}
  return {
    rul_prediction: rul.rul_days,
    rul_low_days: rul.rul_low_days,
    rul_high_days: rul.rul_high_days,
    rul_method: rul.rul_method,
    rul_limit: rul.rul_limit,
    rul_estimated_at: at ?? new Date(),
  }
}

export function anomaliesRepository(db: Db) {
  const repo = {
    /** The spec's `create_anomaly_event(vehicle_id, anomaly_type, severity, snapshot)`. */
    createAnomalyEvent(
      vehicleId: string,
      anomalyType: string,
      severity: Severity,
      snapshot: Record<string, unknown>,
      details: NewAnomalyDetails = {},
    ): Promise<AnomalyEvent> {
      return db
        .insertInto('anomaly_events')
        .values({
          vehicle_id: vehicleId,
          anomaly_type: anomalyType,
          severity,
          sensor_snapshot: json(snapshot),
          reason: details.reason ?? null,
          signals: json(details.signals ?? []),
          peak_values: json(details.peakValues ?? {}),
          rul_prediction: null,
          flapping: details.flapping ?? false,
          // The same fault came back after a service closed its last episode: the fix did not hold.
          repeat_of: sql<string | null>`(select p.id from anomaly_events p
            where p.vehicle_id = ${vehicleId} and p.anomaly_type = ${anomalyType}
              and p.status = 'RESOLVED' and p.resolution = 'serviced'
            order by p.detected_at desc limit 1)`,
          ...rulRow(details.rul, details.detectedAt),
          ...(details.detectedAt
            ? { detected_at: details.detectedAt, last_seen_at: details.detectedAt }
            : {}),
        })
        .returningAll()
        .executeTakeFirstOrThrow()
    },

    /**
     * Opens an episode, or returns the one already open for this vehicle and type (another run,
     * or an earlier life of the service, opened it: the partial unique index decides).
     */
    async openEpisode(
      vehicleId: string,
      anomalyType: string,
      severity: Severity,
      snapshot: Record<string, unknown>,
      details: NewAnomalyDetails = {},
    ): Promise<{ event: AnomalyEvent; opened: boolean }> {
      try {
        return {
          event: await repo.createAnomalyEvent(vehicleId, anomalyType, severity, snapshot, details),
          opened: true,
        }
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
        const existing = await repo.findOpenEpisode(vehicleId, anomalyType)
        if (!existing) throw err
        return { event: existing, opened: false }
      }
    },

    /**
     * An escalation: the new severity, the estimate re-made on the reading that escalated and that
     * reading's account (`reason`, `signals`: what the headline says). Kept in the alarm's
     * activity too (from and to), for the vehicle's timeline.
     */
    async raiseSeverity(
      id: string,
      severity: Severity,
      rul?: RulColumns,
      at?: string,
      account?: { reason: string | null; signals: unknown[] },
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const before = await trx
          .selectFrom('anomaly_events')
          .select('severity')
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst()
        await trx
          .updateTable('anomaly_events')
          .set({
            severity,
            ...rulRow(rul, at),
            ...(account ? { reason: account.reason, signals: json(account.signals) } : {}),
          })
          .where('id', '=', id)
          .execute()
        if (!before || SEVERITY_RANK[severity] <= SEVERITY_RANK[before.severity]) return
        await trx
          .insertInto('alarm_activity')
          .values({
            anomaly_event_id: id,
            kind: 'escalated',
            details: json({ from: before.severity, to: severity }),
            ...(at ? { at } : {}),
          })
          .execute()
      })
    },

    /** The estimate re-made for an episode whose severity did not change (a run picked up again). */
    async updateRul(id: string, rul: RulColumns, at?: string): Promise<void> {
      await db.updateTable('anomaly_events').set(rulRow(rul, at)).where('id', '=', id).execute()
    },

    /** The open episode turned out to flap (an earlier life opened it): flag it for staff. */
    async markFlapping(id: string): Promise<void> {
      await db.updateTable('anomaly_events').set({ flapping: true }).where('id', '=', id).execute()
    },

    /** Every maintenance episode not yet resolved, to pick up tracking after a restart. */
    listUnresolved(): Promise<AnomalyEvent[]> {
      return db
        .selectFrom('anomaly_events')
        .selectAll()
        .where('status', '<>', 'RESOLVED')
        .where('anomaly_type', '<>', DATA_QUALITY_ALARM)
        .execute()
    },

    /** The unresolved alarms of one type (the data-quality monitor picks its own up at start). */
    listUnresolvedOfType(anomalyType: string): Promise<AnomalyEvent[]> {
      return db
        .selectFrom('anomaly_events')
        .selectAll()
        .where('status', '<>', 'RESOLVED')
        .where('anomaly_type', '=', anomalyType)
        .execute()
    },

    async updateReason(id: string, reason: string, lastSeen: string): Promise<void> {
      await db
        .updateTable('anomaly_events')
        .set({ reason, last_seen_at: sql<Date>`greatest(last_seen_at, ${lastSeen}::timestamptz)` })
        .where('id', '=', id)
        .execute()
    },

    /** Folds readings that continued an episode into it: one write per episode per flush. */
    async recordOccurrences(
      id: string,
      count: number,
      lastSeen: string,
      peaks: Record<string, number>,
    ): Promise<void> {
      await db
        .updateTable('anomaly_events')
        .set((eb) => ({
          occurrences: eb('occurrences', '+', count),
          last_seen_at: sql<Date>`greatest(last_seen_at, ${lastSeen}::timestamptz)`,
          peak_values: json(peaks),
        }))
        .where('id', '=', id)
        .execute()
    },

    /** Closes an episode; undefined when it was already resolved. */
    resolveEpisode(
      id: string,
      at: string | Date,
      resolution: 'recovered' | 'serviced' | 'manual',
    ): Promise<AnomalyEvent | undefined> {
      return db
        .updateTable('anomaly_events')
        .set({ status: 'RESOLVED', resolved_at: at, resolution })
        .where('id', '=', id)
        .where('status', '<>', 'RESOLVED')
        .returningAll()
        .executeTakeFirst()
    },

    getAnomalyEvent(id: string): Promise<AnomalyEvent | undefined> {
      return db.selectFrom('anomaly_events').selectAll().where('id', '=', id).executeTakeFirst()
    },

    /** The unresolved episode of this type for the vehicle, if any (at most one, by index). */
    findOpenEpisode(vehicleId: string, anomalyType: string): Promise<AnomalyEvent | undefined> {
      return db
        .selectFrom('anomaly_events')
        .selectAll()
        .where('vehicle_id', '=', vehicleId)
        .where('anomaly_type', '=', anomalyType)
        .where('status', '<>', 'RESOLVED')
        .executeTakeFirst()
    },

    /** Per vehicle: its unresolved maintenance episodes, and the worst of them (see `OpenSummary`). */
    openSummary: (vehicleIds: string[]) => openSummary(db, vehicleIds),

    /** A vehicle's maintenance episodes, newest first (what the owner's chat may talk about). */
    listForVehicle(vehicleId: string): Promise<AnomalyEvent[]> {
      return db
        .selectFrom('anomaly_events')
        .selectAll()
        .where('vehicle_id', '=', vehicleId)
        .where('anomaly_type', '<>', DATA_QUALITY_ALARM)
        .orderBy('detected_at', 'desc')
        .execute()
    },
  }
  return repo
}

export type AnomaliesRepository = ReturnType<typeof anomaliesRepository>
