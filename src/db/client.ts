import { finished } from 'node:stream/promises'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import copyStreams from 'pg-copy-streams'
import type { DatabaseTarget } from '../config.js'
import { connectionFailure } from './errors.js'
import { openPGlite } from './pglite-snapshot.js'
import { countingDialect, type PoolState } from './pool-state.js'
import type { Database } from './schema.js'

export type Db = Kysely<Database>

/** An open database: the typed query layer plus what the service needs to watch and close it. */
export interface DbHandle {
  kind: 'pglite' | 'postgres'
  db: Db
  /** True when the database answers a trivial query within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>
  /**
   * Bulk-loads `text` (PostgreSQL's COPY text format: one row per line, tab-separated, see
   * `copyField`) into `table (columns)` in one statement. The bulk path for append-only data:
   * the server parses plain rows instead of one large parameter, and nothing is built per row.
   */
  copyIn(table: string, columns: readonly string[], text: string): Promise<void>
  /**
   * Loads `text` (COPY text format) into a temporary table shaped like `table`, then moves the
   * rows into `table` with `ON CONFLICT DO NOTHING`, in one transaction on one connection, and
   * returns the `returning` columns of the rows that were new: what makes a retried or replayed
   * row a no-op that the caller can tell apart from a stored one.
   */
  copyInsertNew(
    table: string,
    columns: readonly string[],
    text: string,
    returning: readonly string[],
  ): Promise<Record<string, unknown>[]>
  /** The connections right now (PGlite: its one connection, held or not), and connections lost so far. */
  pool(): PoolState & { lost: number }
  close(): Promise<void>
}

interface Logger {
  warn(obj: object, msg?: string): void
}

export interface OpenOptions {
  /** Where lost connections are reported (they never throw). */
  logger?: Logger
  /** How long a query waits for a pooled connection before failing as unavailable. Default 5000. */
  connectTimeoutMs?: number
  /**
   * PGlite only: a snapshot (`pglite-snapshot.ts`, path without extension) that a new database
   * starts from instead of running initdb. Unusable or absent: initdb, as without it.
   */
  pgliteSnapshot?: string
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<DbHandle> {
  if (target.kind === 'postgres') {
    const max = 10
    const pool = new pg.Pool({
      connectionString: target.url,
      max,
      idleTimeoutMillis: 30_000,
      // Without it a query waits for ever while the server does not answer (or every client is busy).
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      keepAlive: true,
    })
    // A dropped connection (pg_terminate_backend, a server restart, a network cut) makes its client
    // emit `error`; with no listener that event throws and kills the process. Checked-out clients
    // (Kysely's queries, the COPY below) have none of the pool's own, so every client gets one
    // when it is created: the query in progress fails on its own (and is retried or answered 503),
    // and the pool discards the broken client when it is released.
    let lost = 0
    const onClientError = (err: Error) => {
      lost++
      options.logger?.warn(
        { err: { message: err.message, code: (err as { code?: unknown }).code }, lost },
        'PostgreSQL connection lost',
      )
    }
    pool.on('connect', (client) => client.on('error', onClientError))
    // The pool re-emits an idle client's error; the listener above has logged it already.
    pool.on('error', () => {})
    // Failures to open a connection mean "unavailable", whatever their SQLSTATE (55000 for a
    // database that does not accept connections): marked so that the API answers 503.
    const dialectPool = {
      connect: () =>
        pool.connect().catch((err: unknown) => {
          throw connectionFailure(err)
        }),
      end: () => pool.end(),
    }
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: dialectPool }) })
    const copyTo = async (client: pg.PoolClient, statement: string, text: string) => {
      const stream = client.query(copyStreams.from(statement))
      stream.end(text)
      await finished(stream)
    }
    /** One pooled client for `work`; a client whose work failed is discarded, not trusted again. */
    const withClient = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
      // From the same pool, so it has its `error` listener: a COPY cut off mid-stream fails this
      // call (the writer keeps the batch and retries) instead of crashing the process.
      const client = await dialectPool.connect()
      let failure: unknown
      try {
        return await work(client)
      } catch (err) {
        failure = err
        throw err
      } finally {
        client.release(failure instanceof Error ? failure : undefined)
      }
    }
    return handle('postgres', db, {
      pool: () => ({
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        max,
        lost,
      }),
      copy: (statement, text) => withClient((client) => copyTo(client, statement, text)),
      copyThrough: (steps) =>
        withClient(async (client) => {
          await client.query('BEGIN')
          try {
            await client.query(steps.prepare)
            await copyTo(client, steps.copy, steps.text)
            const { rows } = await client.query(steps.move)
            await client.query('COMMIT')
            return rows
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined)
            throw err
          }
        }),
    })
  }
  const pglite = await openPGlite(target.dataDir, {
    snapshot: options.pgliteSnapshot,
    logger: options.logger,
  })
  const counted = countingDialect(new PGliteDialect(pglite))
  const db = new Kysely<Database>({ dialect: counted.dialect })
  const fromBlob = (statement: string) => statement.replace('FROM STDIN', "FROM '/dev/blob'")
  return handle('pglite', db, {
    pool: () => ({ ...counted.state(), lost: 0 }),
    // Holding Kysely's one connection keeps the COPY out of any transaction in progress.
    copy: (statement, text) =>
      db.connection().execute(async () => {
        await pglite.query(fromBlob(statement), [], { blob: new Blob([text]) })
      }),
    copyThrough: (steps) =>
      db.connection().execute(() =>
        pglite.transaction(async (tx) => {
          await tx.exec(steps.prepare)
          await tx.query(fromBlob(steps.copy), [], { blob: new Blob([steps.text]) })
          return (await tx.query<Record<string, unknown>>(steps.move)).rows
        }),
      ),
  })
}

/** A bulk load through a staging table: create it, COPY into it, move the rows on. */
interface CopyThrough {
  prepare: string
  copy: string
  text: string
  move: string
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

function handle(
  kind: DbHandle['kind'],
  db: Db,
  {
    pool,
    copy,
    copyThrough,
  }: {
    pool: DbHandle['pool']
    copy: (statement: string, text: string) => Promise<void>
    copyThrough: (steps: CopyThrough) => Promise<Record<string, unknown>[]>
  },
): DbHandle {
  let closed = false
  return {
    kind,
    db,
    pool,
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
    copyIn(table, columns, text) {
      for (const name of [table, ...columns])
        if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${name}`)
      if (text.length === 0) return Promise.resolve()
      return copy(`COPY ${table} (${columns.join(', ')}) FROM STDIN`, text)
    },
    async copyInsertNew(table, columns, text, returning) {
      for (const name of [table, ...columns, ...returning])
        if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${name}`)
      if (text.length === 0) return []
      const staging = `${table}_staging`
      const list = columns.join(', ')
      return copyThrough({
        // Per connection and emptied at commit, so concurrent loads never see each other's rows.
        prepare: `CREATE TEMP TABLE IF NOT EXISTS ${staging} (LIKE ${table}) ON COMMIT DELETE ROWS`,
        copy: `COPY ${staging} (${list}) FROM STDIN`,
        text,
        move:
          `INSERT INTO ${table} (${list}) SELECT ${list} FROM ${staging} ` +
          `ON CONFLICT DO NOTHING RETURNING ${returning.join(', ')}`,
      })
    },
    async close() {
      if (closed) return
      closed = true
      await db.destroy()
    },
  }
}

const COPY_SPECIAL_ALL = /[\\\t\n\r]/g
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/**
 * One field in COPY text format: backslash, tab, newline and carriage return escaped. JSON text
 * from `JSON.stringify` takes the fast path unless a string in it holds an escape. Four
 * `includes` (vectorised single-character scans) cost a quarter of one regex test on a 1-KB
 * reading, and this runs once per stored reading.
 */
export function copyField(value: string): string {
  const special = value.includes('\\') || value.includes('\t') || value.includes('\n') || value.includes('\r')
  return special ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c]!) : value
}

/** jsonb parameters go over the wire as JSON text: `pg` would turn a JS array into a PG array. */
export function json(value: unknown): string {
  return JSON.stringify(value)
}
