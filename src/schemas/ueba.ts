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
    vin: z.string().nullable(),
    run_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    timestamp: z.string(),
  })
  .meta({ id: 'UebaLog' })

export type UebaLogDto = z.infer<typeof UebaLogSchema>

/** A log row as the API and the WebSocket send it. */
export function uebaLogDto(log: UebaLogEntry, vin: string | null): UebaLogDto {
  return {
    id: log.id,
    agent_name: log.agent_name,
    action_type: log.action_type,
    source_node: log.source_node,
    target_node: log.target_node,
    status: log.status,
    vin,
    run_id: log.run_id,
    details: log.details,
    timestamp: iso(log.timestamp),
  }
}
