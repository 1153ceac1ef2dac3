import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type DbHandle, openDatabase } from '../../src/db/client.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { vehicleRow } from '../../src/db/seed.js'
import { seedDemoData } from '../../src/demo.js'
import type { FleetVehicle } from '../../src/simulation/fleet.js'

export type DbKind = 'pglite' | 'postgres'

/** The local server the benchmarks may use; each run creates and drops a database of its own. */
export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** True when the local PostgreSQL answers; the PostgreSQL rows are skipped (and said so) otherwise. */
export async function postgresAvailable(): Promise<boolean> {
  try {
    await admin((c) => c.query('select 1'))
    return true
  } catch {
    return false
  }
}

export async function postgresVersion(): Promise<string | null> {
  try {
    return await admin(async (c) => (await c.query('show server_version')).rows[0]?.server_version ?? null)
  } catch {
    return null
  }
}

export interface BenchDatabase {
  kind: DbKind
  /** What DATABASE_URL would be for a server process over the same database. */
  url: string
  handle: DbHandle
  close(): Promise<void>
}

/**
 * A fresh migrated database: in-memory PGlite (or PGlite in `dataDir`), or `autonoma_bench_<random>`
 * on the local server, dropped by `close()`.
 */
export async function createBenchDatabase(
  kind: DbKind,
  dataDir?: string,
  { migrate = true } = {},
): Promise<BenchDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({ kind: 'pglite', dataDir: dataDir ?? null })
    if (migrate) await migrateToLatest(handle.db)
    return { kind, url: dataDir ?? 'memory://', handle, close: () => handle.close() }
  }
  const name = `autonoma_bench_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  const handle = await openDatabase({ kind: 'postgres', url: url.toString() })
  try {
    if (migrate) await migrateToLatest(handle.db)
  } catch (err) {
    await handle.close()
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    throw err
  }
  let closed = false
  return {
    kind,
    url: url.toString(),
    handle,
    async close() {
      if (closed) return
      closed = true
      await handle.close()
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}

/** Drops a database created by `createBenchDatabase` after its handle was closed elsewhere. */
export async function dropPostgresDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1)
  if (!/^autonoma_bench_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}`)
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
}

/**
 * Seeds the demo accounts and fleet, then adds `extra` vehicles (the synthetic benchmark fleet,
 * whose owners are the demo owners).
 */
export async function seedFleet(handle: DbHandle, extra: readonly FleetVehicle[] = []): Promise<void> {
  await seedDemoData(handle.db)
  if (extra.length === 0) return
  const owners = await handle.db.selectFrom('users').select(['id', 'email']).execute()
  const idByEmail = new Map(owners.map((o) => [o.email, o.id]))
  for (let i = 0; i < extra.length; i += 500) {
    const chunk = extra.slice(i, i + 500).map((v) => vehicleRow(v, idByEmail))
    await handle.db
      .insertInto('vehicles')
      .values(chunk)
      .onConflict((oc) => oc.column('vin').doNothing())
      .execute()
  }
}
