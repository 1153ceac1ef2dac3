import { sql } from 'kysely'
import type { UebaStatus } from '../../domain.js'
import type { Db } from '../client.js'
import { json } from '../client.js'
import type { UebaLog } from '../schema.js'

/**
 * A row as the UEBA gate builds it: id and time are set when the attempt happens, not when
 * stored; the time as an ISO string with microseconds (a `Date` would drop them).
 */
export type NewUebaLog = Omit<UebaLog, 'timestamp'> & { timestamp: string }

export interface UebaContext {
  sourceNode?: string | null
  targetNode?: string | null
  vehicleId?: string | null
  userId?: string | null
  runId?: string | null
  details?: Record<string, unknown> | null
}

export interface UebaFilter {
  status?: UebaStatus
  agent?: string
  from?: string
  to?: string
  after?: { at: string; id: string }
  limit: number
}

export function uebaRepository(db: Db) {
  return {
    /** The spec's `log_ueba_action(agent_name, action_type, status)`. */
    logUebaAction(
      agentName: string,
      actionType: string,
      status: UebaStatus,
      context: UebaContext = {},
    ): Promise<UebaLog> {
      return db
        .insertInto('ueba_logs')
        .values({
          agent_name: agentName,
          action_type: actionType,
          status,
          source_node: context.sourceNode ?? null,
          target_node: context.targetNode ?? null,
          vehicle_id: context.vehicleId ?? null,
          user_id: context.userId ?? null,
          run_id: context.runId ?? null,
          details: context.details ? json(context.details) : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
    },

    /** Many attempts in one INSERT (the gate's group commit). */
    async insertUebaLogs(rows: readonly NewUebaLog[]): Promise<void> {
      if (rows.length === 0) return
      await db
        .insertInto('ueba_logs')
        .values(rows.map((r) => ({ ...r, details: r.details == null ? null : json(r.details) })))
        .execute()
    },

    /** Newest first; `after` is the keyset position of the previous page's last row. */
    list(filter: UebaFilter): Promise<Array<UebaLog & { vin: string | null }>> {
      let q = db
        .selectFrom('ueba_logs as l')
        .leftJoin('vehicles as v', 'v.id', 'l.vehicle_id')
        .selectAll('l')
        .select(sql<string | null>`coalesce(v.vin, l.details->>'vin')`.as('vin'))
      if (filter.status) q = q.where('l.status', '=', filter.status)
      if (filter.agent) q = q.where('l.agent_name', '=', filter.agent)
      if (filter.from) q = q.where('l.timestamp', '>=', new Date(filter.from))
      if (filter.to) q = q.where('l.timestamp', '<', new Date(filter.to))
      if (filter.after) {
        const { at, id } = filter.after
        q = q.where(sql<boolean>`(l.timestamp, l.id) < (${at}::timestamptz, ${id}::uuid)`)
      }
      return q.orderBy('l.timestamp', 'desc').orderBy('l.id', 'desc').limit(filter.limit).execute()
    },

    listRecent(limit = 100): Promise<UebaLog[]> {
      return db.selectFrom('ueba_logs').selectAll().orderBy('timestamp', 'desc').limit(limit).execute()
    },
  }
}

export type UebaRepository = ReturnType<typeof uebaRepository>
