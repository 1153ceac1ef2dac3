import { z } from 'zod'
import type { UebaLogEntry } from '../db/schema.js'
import { iso } from './common.js'

export const UebaLogSchema = z
  .object({
    id: z.uuid(),
    agent_name: z.string(),
    action_type: z.string(),
    source_node: z.string().nullable(),
    target_node: z.string().nullable(),
    status: z.enum(['ALLOWED', 'BLOCKED']),
    actor_kind: z.enum(['agent', 'user', 'device', 'anonymous', 'system']),
    actor_id: z
      .string()
      .nullable()
      .describe('agent name, user id, VIN, or the address of an anonymous caller'),
    reason: z.string().nullable().describe('why it was refused: an error code such as FORBIDDEN'),
    request_id: z.string().nullable(),
    vin: z.string().nullable(),
    run_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    drill: z
      .boolean()
      .describe(
        'a security drill (POST /api/ueba/drills): a staged attempt on a synthetic subject, not an incident',
      ),
    timestamp: z.string(),
  })
  .meta({ id: 'UebaLog' })

export type UebaLogDto = z.infer<typeof UebaLogSchema>

/** Rows a security drill wrote carry `details.drill` (the scenario). */
export function isDrill(log: Pick<UebaLogEntry, 'details'>): boolean {
  return log.details?.drill != null
}

/** A log row as the API and the WebSocket send it. */
export function uebaLogDto(log: UebaLogEntry, vin: string | null): UebaLogDto {
  return {
    id: log.id,
    agent_name: log.agent_name,
    action_type: log.action_type,
    source_node: log.source_node,
    target_node: log.target_node,
    status: log.status,
    actor_kind: log.actor_kind,
    actor_id: log.actor_id,
    reason: log.reason,
    request_id: log.request_id,
    vin,
    run_id: log.run_id,
    details: log.details,
    drill: isDrill(log),
    timestamp: iso(log.timestamp),
  }
}

const AuditStatsSchema = z.object({
  written: z.number().int(),
  pending: z.number().int(),
  spooled: z.number().int().describe('rows waiting for the database (an outage)'),
  spool: z.enum(['disk', 'memory']),
  dropped: z.number().int().describe('rows lost because the spool was full'),
  lost: z.number().int(),
  failing_since: z.string().nullable(),
  last_error: z.string().nullable(),
})

export const ChainReportSchema = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    head: z.object({ seq: z.string(), hash: z.string().nullable() }),
    unhashed: z.number().int(),
    first_broken: z
      .object({
        problem: z.enum(['content_changed', 'link_broken', 'sequence_broken', 'head_mismatch']),
        seq: z.string(),
        id: z.string().nullable(),
        timestamp: z.string().nullable(),
        expected: z.string().nullable(),
        found: z.string().nullable(),
      })
      .nullable(),
    verified_at: z.string(),
    audit: AuditStatsSchema,
  })
  .meta({ id: 'AuditChainReport' })
