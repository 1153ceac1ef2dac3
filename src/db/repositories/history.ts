import { sql } from 'kysely'
import { type AnomalyStatus, DATA_QUALITY_ALARM, type Role } from '../../domain.js'
import type { Db } from '../client.js'
import type { AnomalyEvent, Diagnosis } from '../schema.js'
import type { Viewer } from './vehicles.js'

export interface EventFilter {
  statuses?: AnomalyStatus[]
  from?: string
  to?: string
  /** Keyset position of the previous page's last row. */
  after?: { at: string; id: string }
  limit: number
}

export type AlarmRow = AnomalyEvent & {
  vin: string
  vehicle_model: string
  batch: string | null
  owner_id: string
}

/**
 * Anomaly events with what was decided about them, for the history and alarm views. Ownership is
 * part of the query (`viewer`), never a check after reading.
 */
export function historyRepository(db: Db) {
  function events(filter: EventFilter) {
    let q = db
      .selectFrom('anomaly_events as e')
      .innerJoin('vehicles as v', 'v.id', 'e.vehicle_id')
      .selectAll('e')
      .select(['v.vin', 'v.model as vehicle_model', 'v.batch', 'v.owner_id'])
    if (filter.statuses?.length) q = q.where('e.status', 'in', filter.statuses)
    if (filter.from) q = q.where('e.detected_at', '>=', new Date(filter.from))
    if (filter.to) q = q.where('e.detected_at', '<', new Date(filter.to))
    if (filter.after) {
      const { at, id } = filter.after
      q = q.where(sql<boolean>`(e.detected_at, e.id) < (${at}::timestamptz, ${id}::uuid)`)
    }
    return q.orderBy('e.detected_at', 'desc').orderBy('e.id', 'desc').limit(filter.limit)
  }

  return {
    /** One vehicle's events, newest first; an owner does not see data-quality alarms. */
    listVehicleEvents(vehicleId: string, filter: EventFilter, role: Role = 'customer'): Promise<AlarmRow[]> {
      let q = events(filter).where('e.vehicle_id', '=', vehicleId)
      if (role === 'customer') q = q.where('e.anomaly_type', '<>', DATA_QUALITY_ALARM)
      return q.execute()
    },

    /** Events across the vehicles the viewer may see, newest first. */
    listAlarms(viewer: Viewer, filter: EventFilter & { vin?: string }): Promise<AlarmRow[]> {
      let q = events(filter)
      if (viewer.role === 'customer')
        q = q.where('v.owner_id', '=', viewer.id).where('e.anomaly_type', '<>', DATA_QUALITY_ALARM)
      if (filter.vin) q = q.where('v.vin', '=', filter.vin)
      return q.execute()
    },

    findAlarm(viewer: Viewer, id: string): Promise<AlarmRow | undefined> {
      let q = events({ limit: 1 }).where('e.id', '=', id)
      if (viewer.role === 'customer')
        q = q.where('v.owner_id', '=', viewer.id).where('e.anomaly_type', '<>', DATA_QUALITY_ALARM)
      return q.executeTakeFirst()
    },

    async diagnosesFor(eventIds: string[]): Promise<Map<string, Diagnosis[]>> {
      const map = new Map<string, Diagnosis[]>()
      if (eventIds.length === 0) return map
      const rows = await db
        .selectFrom('diagnoses')
        .selectAll()
        .where('anomaly_event_id', 'in', eventIds)
        .orderBy('created_at', 'desc')
        .execute()
      for (const row of rows) {
        const list = map.get(row.anomaly_event_id) ?? []
        list.push(row)
        map.set(row.anomaly_event_id, list)
      }
      return map
    },

    /** OPEN -> ACKNOWLEDGED; undefined when it was not open (already acknowledged or resolved). */
    acknowledge(id: string, userId: string): Promise<AnomalyEvent | undefined> {
      return db
        .updateTable('anomaly_events')
        .set({ status: 'ACKNOWLEDGED', acknowledged_at: sql<Date>`now()`, acknowledged_by: userId })
        .where('id', '=', id)
        .where('status', '=', 'OPEN')
        .returningAll()
        .executeTakeFirst()
    },

    /** Failure episodes by anomaly type and batch, for the component x batch chart. */
    countsByTypeAndBatch(filter: { from?: string; to?: string }) {
      let q = db
        .selectFrom('anomaly_events as e')
        .innerJoin('vehicles as v', 'v.id', 'e.vehicle_id')
        .where('e.anomaly_type', '<>', DATA_QUALITY_ALARM)
        .select([
          'e.anomaly_type',
          'v.batch',
          sql<number>`count(*)::int`.as('events'),
          sql<number>`count(distinct e.vehicle_id)::int`.as('vehicles'),
        ])
      if (filter.from) q = q.where('e.detected_at', '>=', new Date(filter.from))
      if (filter.to) q = q.where('e.detected_at', '<', new Date(filter.to))
      return q.groupBy(['e.anomaly_type', 'v.batch']).orderBy('e.anomaly_type').orderBy('v.batch').execute()
    },
  }
}

export type HistoryRepository = ReturnType<typeof historyRepository>
