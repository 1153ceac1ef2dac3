import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import type { DatabaseTarget } from '../config.js'
import type { Database } from './schema.js'

export type Db = Kysely<Database>

/** An open database: the typed query layer plus what the service needs to watch and close it. */
export interface DbHandle {
  kind: 'pglite' | 'postgres'
  db: Db
  /** True when the database answers a trivial query within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>
  close(): Promise<void>
}

interface Logger {
  error(obj: object, msg?: string): void
}

export async function openDatabase(
  target: DatabaseTarget,
  options: { logger?: Logger } = {},
): Promise<DbHandle> {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: target.url, max: 10, idleTimeoutMillis: 30_000 })
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on('error', (err) => options.logger?.error({ err }, 'idle PostgreSQL client error'))
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    return handle('postgres', db)
  }
  if (target.dataDir) await mkdir(target.dataDir, { recursive: true })
  const pglite = target.dataDir ? new PGlite(target.dataDir) : new PGlite()
  await pglite.waitReady
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) })
  return handle('pglite', db)
}

function handle(kind: DbHandle['kind'], db: Db): DbHandle {
  let closed = false
  return {
    kind,
    db,
    async ping(timeoutMs = 2000) {
      if (closed) return false
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs)
      })
      const query = sql`select 1 as ok`
        .execute(db)
        .then(() => true)
        .catch(() => false)
      try {
        return await Promise.race([query, timeout])
      } finally {
        clearTimeout(timer)
      }
    },
    async close() {
      if (closed) return
      closed = true
      await db.destroy()
    },
  }
}

/** jsonb parameters go over the wire as JSON text: `pg` would turn a JS array into a PG array. */
export function json(value: unknown): string {
  return JSON.stringify(value)
}
