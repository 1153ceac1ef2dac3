import { createHash, createHmac } from 'node:crypto'

/** The `prev_hash` of the first link. */
export const GENESIS_HASH = '0'.repeat(64)

/** The columns a link's hash covers, in the order they are hashed. */
export interface ChainedContent {
  seq: string
  id: string
  /** ISO 8601 UTC with microseconds, as stored: `2026-01-02T03:04:05.123456Z`. */
  timestamp: string
  actor_kind: string
  actor_id: string | null
  agent_name: string
  action_type: string
  source_node: string | null
  target_node: string | null
  status: string
  vehicle_id: string | null
  user_id: string | null
  run_id: string | null
  request_id: string | null
  reason: string | null
  details: unknown
}

/**
 * JSON with object keys sorted at every depth: jsonb hands keys back in its own order, so the
 * text hashed at write time and at verification must not depend on key order.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

function canonicalRow(row: ChainedContent): string {
  return canonicalJson([
    row.seq,
    row.id,
    row.timestamp,
    row.actor_kind,
    row.actor_id,
    row.agent_name,
    row.action_type,
    row.source_node,
    row.target_node,
    row.status,
    row.vehicle_id,
    row.user_id,
    row.run_id,
    row.request_id,
    row.reason,
    row.details ?? null,
  ])
}

/**
 * A link: SHA-256 over the previous link's hash and the row's canonical content; HMAC-SHA256 when
 * a key is configured (AUDIT_CHAIN_KEY), so that someone with only database access cannot forge
 * a consistent chain after editing it.
 */
export function linkHash(prevHash: string, row: ChainedContent, key?: string): string {
  const h = key ? createHmac('sha256', key) : createHash('sha256')
  return h.update(prevHash).update('\n').update(canonicalRow(row)).digest('hex')
}
