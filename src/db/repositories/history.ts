import { sql } from 'kysely'
import { type AnomalyStatus, DATA_QUALITY_ALARM, type Role, SEVERITIES, type Severity } from '../../domain.js'
import { type Db, json } from '../client.js'
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
  assigned_name: string | null
  acknowledged_by_name: string | null
}

/** The alarm console's filters (on top of status and time) and its orders. */
export interface AlarmFilter extends EventFilter {
  vin?: string
  severities?: Severity[]
  types?: string[]
  /** Alarms with a booking at this service centre. */
  centerId?: string
  /** `severity`: worst first, then oldest first (the longest waiting); default newest first. */
  sort?: 'newest' | 'oldest' | 'severity'
}

const SEVERITY_ORDER = sql<number>`array_position(array[${sql.join(SEVERITIES.map((s) => sql.lit(s)))}]::text[], e.severity)`

/**
 * Anomaly events with what was decided about them, for the history and alarm views. Ownership is
 * part of the query (`viewer`), never a check after reading.
 */
export function historyRepository(db: Db) {
  function events(filter: EventFilter) {
    let q = db
      .selectFrom('anomaly_events as e')
      .innerJoin('vehicles as v', 'v.id', 'e.vehicle_id')
      .leftJoin('users as au', 'au.id', 'e.assigned_to')
      .leftJoin('users as ak', 'ak.id', 'e.acknowledged_by')
      .selectAll('e')
      .select([
        'v.vin',
        'v.model as vehicle_model',
        'v.batch',
        'v.owner_id',
        'au.name as assigned_name',
        'ak.name as acknowledged_by_name',
      ])
    if (filter.statuses?.length) q = q.where('e.status', 'in', filter.statuses)
    if (filter.from) q = q.where('e.detected_at', '>=', new Date(filter.from))
    if (filter.to) q = q.where('e.detected_at', '<', new Date(filter.to))
    if (filter.after) {
      const { at, id } = filter.after
      q = q.where(sql<boolean>`(e.detected_at, e.id) < (${at}::timestamptz, ${id}::uuid)`)
    }
    return q
  }

  function alarms(viewer: Viewer, filter: Omit<AlarmFilter, 'after' | 'limit'>) {
    let q = events({ ...filter, limit: 0 })
    if (viewer.role === 'customer')
      q = q.where('v.owner_id', '=', viewer.id).where('e.anomaly_type', '<>', DATA_QUALITY_ALARM)
    if (filter.vin) q = q.where('v.vin', '=', filter.vin)
    if (filter.severities?.length) q = q.where('e.severity', 'in', filter.severities)
    if (filter.types?.length) q = q.where('e.anomaly_type', 'in', filter.types)
    const centerId = filter.centerId
    if (centerId) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('service_bookings as sb')
            .select('sb.id')
            .whereRef('sb.anomaly_event_id', '=', 'e.id')
            .where('sb.service_center_id', '=', centerId),
        ),
      )
    }
    return q
  }

  const newestFirst = <Q extends ReturnType<typeof events>>(q: Q, limit: number) =>
    q.orderBy('e.detected_at', 'desc').orderBy('e.id', 'desc').limit(limit)

  return {
    /** One vehicle's events, newest first; an owner does not see data-quality alarms. */
    listVehicleEvents(vehicleId: string, filter: EventFilter, role: Role = 'customer'): Promise<AlarmRow[]> {
      let q = events(filter).where('e.vehicle_id', '=', vehicleId)
      if (role === 'customer') q = q.where('e.anomaly_type', '<>', DATA_QUALITY_ALARM)
      return newestFirst(q, filter.limit).execute()
    },

    /** Events across the vehicles the viewer may see, in the filter's order (newest first by default). */
    listAlarms(viewer: Viewer, filter: AlarmFilter): Promise<AlarmRow[]> {
      const q = alarms(viewer, filter)
      if (filter.sort === 'severity')
        return q
          .orderBy(SEVERITY_ORDER, 'desc')
          .orderBy('e.detected_at')
          .orderBy('e.id')
          .limit(filter.limit)
          .execute()
      if (filter.sort === 'oldest')
        return q.orderBy('e.detected_at').orderBy('e.id').limit(filter.limit).execute()
      return newestFirst(q, filter.limit).execute()
    },

    /** How many alarms of each severity match the filter (its own severity filter left out). */
    async countBySeverity(
      viewer: Viewer,
      filter: Omit<AlarmFilter, 'after' | 'limit' | 'severities' | 'sort'>,
    ): Promise<Record<Severity, number>> {
      const rows = await alarms(viewer, filter)
        .clearSelect()
        .select(['e.severity', sql<number>`count(*)::int`.as('n')])
        .groupBy('e.severity')
        .execute()
      const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>
      for (const r of rows) out[r.severity] = Number(r.n)
      return out
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

    /**
     * OPEN -> ACKNOWLEDGED, with the note kept on the row and in the alarm's activity; undefined
     * when it was not open (already acknowledged or resolved).
     */
    acknowledge(id: string, userId: string, note: string | null = null): Promise<AnomalyEvent | undefined> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('anomaly_events')
          .set({
            status: 'ACKNOWLEDGED',
            acknowledged_at: sql<Date>`now()`,
            acknowledged_by: userId,
            acknowledged_note: note,
          })
          .where('id', '=', id)
          .where('status', '=', 'OPEN')
          .returningAll()
          .executeTakeFirst()
        if (row) {
          await trx
            .insertInto('alarm_activity')
            .values({ anomaly_event_id: id, kind: 'acknowledged', user_id: userId, note })
            .execute()
        }
        return row
      })
    },

    /** Gives an unresolved alarm to `assignee` (or to nobody); undefined when it is resolved. */
    assign(id: string, assignee: string | null, byUserId: string): Promise<AnomalyEvent | undefined> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('anomaly_events')
          .set({ assigned_to: assignee, assigned_at: assignee ? sql<Date>`now()` : null })
          .where('id', '=', id)
          .where('status', '<>', 'RESOLVED')
          .returningAll()
          .executeTakeFirst()
        if (row) {
          await trx
            .insertInto('alarm_activity')
            .values({
              anomaly_event_id: id,
              kind: assignee ? 'assigned' : 'unassigned',
              user_id: byUserId,
              details: json({ assignee }),
            })
            .execute()
        }
        return row
      })
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
