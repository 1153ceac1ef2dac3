import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { UebaStatus } from '../../domain.js'
import { type ChainedContent, GENESIS_HASH, linkHash } from '../audit-chain.js'
import type { Db } from '../client.js'
import { json } from '../client.js'
import type { UebaLog } from '../schema.js'

/**
 * A row as the UEBA gate builds it: id and time are set when the attempt happens, not when
 * stored; the time as an ISO string with microseconds (a `Date` would drop them). Its place in
 * the chain and its hash are given when it is stored.
 */
export type NewUebaLog = Omit<UebaLog, 'timestamp' | 'seq' | 'prev_hash' | 'hash'> & { timestamp: string }

/** A stored row with the exact text of what its hash covers (timestamp to the microsecond). */
export type ChainedRow = ChainedContent & { prev_hash: string | null; hash: string | null }

export interface UebaContext {
  sourceNode?: string | null
  targetNode?: string | null
  vehicleId?: string | null
  userId?: string | null
  runId?: string | null
  details?: Record<string, unknown> | null
}

export interface AppendOptions {
  /** HMAC key of the chain (AUDIT_CHAIN_KEY); plain SHA-256 without. */
  key?: string
  /** Skip rows already stored (a retried batch whose commit may have gone through). */
  dedupe?: boolean
}

const MICROS = sql<string>`to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

export interface UebaFilter {
  status?: UebaStatus
  agent?: string
  /** `action_type`: transition, write, api_request, login, admin_action, ... */
  action?: string
  /** true: drills only; false: real events only. */
  drill?: boolean
  from?: string
  to?: string
  after?: { at: string; id: string }
  limit: number
}

export function uebaRepository(db: Db) {
  return {
    /** The spec's `log_ueba_action(agent_name, action_type, status)`. */
    async logUebaAction(
      agentName: string,
      actionType: string,
      status: UebaStatus,
      context: UebaContext = {},
    ): Promise<UebaLog> {
      const id = randomUUID()
      await this.insertUebaLogs([
        {
          id,
          agent_name: agentName,
          action_type: actionType,
          status,
          source_node: context.sourceNode ?? null,
          target_node: context.targetNode ?? null,
          vehicle_id: context.vehicleId ?? null,
          user_id: context.userId ?? null,
          run_id: context.runId ?? null,
          details: context.details ?? null,
          timestamp: new Date().toISOString(),
          actor_kind: 'agent',
          actor_id: agentName,
          reason: null,
          request_id: null,
        },
      ])
      return db.selectFrom('ueba_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    },

    /**
     * Many attempts in one INSERT (the gate's group commit), appended to the hash chain in one
     * transaction that holds the chain head's row lock: concurrent appenders (other processes
     * too) queue on it, so the chain never forks. Returns how many rows were new.
     */
    async insertUebaLogs(rows: readonly NewUebaLog[], options: AppendOptions = {}): Promise<number> {
      if (rows.length === 0) return 0
      return db.transaction().execute(async (trx) => {
        const head = await trx
          .selectFrom('ueba_chain')
          .select(['seq', 'hash'])
          .where('id', '=', 1)
          .forUpdate()
          .executeTakeFirstOrThrow()
        let seq = BigInt(head.seq)
        let prev = head.hash ?? (seq > 0n ? await hashUnchained(trx, seq, options.key) : GENESIS_HASH)
        let fresh = rows
        if (options.dedupe) {
          const ids = rows.map((r) => r.id)
          const stored = await trx.selectFrom('ueba_logs').select('id').where('id', 'in', ids).execute()
          const known = new Set(stored.map((r) => r.id))
          fresh = rows.filter((r) => !known.has(r.id))
        }
        if (fresh.length > 0) {
          const values = fresh.map((r) => {
            // Stored and hashed as jsonb gives it back: what JSON.stringify keeps.
            const details = r.details == null ? null : JSON.parse(json(r.details))
            seq += 1n
            const timestamp = microIso(r.timestamp)
            const content: ChainedContent = { ...r, timestamp, seq: String(seq), details }
            const hash = linkHash(prev, content, options.key)
            const value = {
              ...r,
              timestamp,
              seq: String(seq),
              details: details === null ? null : json(details),
              prev_hash: prev,
              hash,
            }
            prev = hash
            return value
          })
          await trx.insertInto('ueba_logs').values(values).execute()
        }
        await trx
          .updateTable('ueba_chain')
          .set({ seq: String(seq), hash: prev })
          .where('id', '=', 1)
          .execute()
        return fresh.length
      })
    },

    /** The chain's head: the last link appended (hash null while rows from before the chain wait). */
    chainHead(): Promise<{ seq: string; hash: string | null } | undefined> {
      return db.selectFrom('ueba_chain').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst()
    },

    /** Up to `limit` rows after position `afterSeq` (up to `upTo`), in chain order, as their hashes cover them. */
    chainPage(afterSeq: string, limit: number, upTo?: string): Promise<ChainedRow[]> {
      return chainRows(db, afterSeq, limit, upTo)
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
      if (filter.action) q = q.where('l.action_type', '=', filter.action)
      if (filter.drill !== undefined)
        q = q.where(
          filter.drill
            ? sql<boolean>`l.details ? 'drill'`
            : sql<boolean>`not coalesce(l.details ? 'drill', false)`,
        )
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

/** An ISO time as the database gives it back to the chain: UTC with six fraction digits. */
function microIso(ts: string): string {
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(ts)) return ts
  return new Date(ts).toISOString().replace('Z', '000Z')
}

async function chainRows(db: Db, afterSeq: string, limit: number, upTo?: string): Promise<ChainedRow[]> {
  let q = db
    .selectFrom('ueba_logs')
    .select([
      'seq',
      'id',
      'actor_kind',
      'actor_id',
      'agent_name',
      'action_type',
      'source_node',
      'target_node',
      'status',
      'vehicle_id',
      'user_id',
      'run_id',
      'request_id',
      'reason',
      'details',
      'prev_hash',
      'hash',
    ])
    .select(MICROS.as('timestamp'))
    .where('seq', '>', afterSeq)
  if (upTo !== undefined) q = q.where('seq', '<=', upTo)
  const rows = await q.orderBy('seq').limit(limit).execute()
  return rows.map((r) => ({ ...r, seq: String(r.seq) }))
}

/**
 * Hashes the rows that were stored before the chain existed (positions 1..upTo, numbered by the
 * migration), in order, and returns the last hash. Runs once, inside the first append.
 */
async function hashUnchained(trx: Db, upTo: bigint, key: string | undefined): Promise<string> {
  let prev = GENESIS_HASH
  let after = '0'
  for (;;) {
    const rows = await chainRows(trx, after, 1000, String(upTo))
    if (rows.length === 0) return prev
    for (const row of rows) {
      const hash = linkHash(prev, row, key)
      await trx.updateTable('ueba_logs').set({ prev_hash: prev, hash }).where('id', '=', row.id).execute()
      prev = hash
    }
    after = rows.at(-1)!.seq
  }
}
