import { sql } from 'kysely'
import { DATA_QUALITY_ALARM, type Severity } from '../../domain.js'
import type { Db } from '../client.js'
import { json } from '../client.js'
import { isUniqueViolation } from '../errors.js'
import type { AnomalyEvent } from '../schema.js'

export interface NewAnomalyDetails {
  detectedAt?: Date | string
  reason?: string | null
  signals?: unknown[]
  rulPrediction?: number | null
  peakValues?: Record<string, number>
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
          rul_prediction: details.rulPrediction ?? null,
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

    async raiseSeverity(id: string, severity: Severity): Promise<void> {
      await db.updateTable('anomaly_events').set({ severity }).where('id', '=', id).execute()
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

    /** Per vehicle: how many unresolved maintenance episodes, and the worst severity among them. */
    async openSummary(vehicleIds: string[]): Promise<Map<string, { open: number; worst: Severity }>> {
      if (vehicleIds.length === 0) return new Map()
      const rows = await db
        .selectFrom('anomaly_events')
        .select([
          'vehicle_id',
          sql<number>`count(*)::int`.as('open'),
          sql<number>`max(case severity when 'Critical' then 4 when 'High' then 3 when 'Medium' then 2 else 1 end)::int`.as(
            'rank',
          ),
        ])
        .where('vehicle_id', 'in', vehicleIds)
        .where('status', '<>', 'RESOLVED')
        .where('anomaly_type', '<>', DATA_QUALITY_ALARM)
        .groupBy('vehicle_id')
        .execute()
      const names: Severity[] = ['Low', 'Medium', 'High', 'Critical']
      return new Map(rows.map((r) => [r.vehicle_id, { open: r.open, worst: names[r.rank - 1] ?? 'Low' }]))
    },

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
