import type { Db } from '../client.js'
import { json } from '../client.js'
import type { UebaLog, UebaStatus } from '../schema.js'

export interface UebaContext {
  sourceNode?: string | null
  targetNode?: string | null
  vehicleId?: string | null
  userId?: string | null
  runId?: string | null
  details?: Record<string, unknown> | null
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

    listRecent(limit = 100): Promise<UebaLog[]> {
      return db.selectFrom('ueba_logs').selectAll().orderBy('timestamp', 'desc').limit(limit).execute()
    },
  }
}

export type UebaRepository = ReturnType<typeof uebaRepository>
