import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { type DbHandle, openDatabase } from '../../src/db/client.js'
import { migrateToLatest } from '../../src/db/migrate.js'

export type DbKind = 'pglite' | 'postgres'

const SERVER_URL = process.env.TEST_DATABASE_URL

/**
 * Database tests run on embedded PGlite always, and on a real PostgreSQL server as well when
 * TEST_DATABASE_URL is set (CI sets it). An unreachable server then fails the run loudly.
 */
export const DB_KINDS: DbKind[] = SERVER_URL ? ['pglite', 'postgres'] : ['pglite']

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/**
 * A fresh, migrated database of its own: in-memory PGlite, or a new database on the server that
 * `close()` drops, so parallel test files never see each other's rows.
 */
export async function createTestDatabase(kind: DbKind): Promise<DbHandle> {
  if (kind === 'pglite') {
    const handle = await openDatabase({ kind: 'pglite', dataDir: null })
    await migrateToLatest(handle.db)
    return handle
  }
  if (!SERVER_URL) throw new Error('TEST_DATABASE_URL is not set')
  const name = `autonoma_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(SERVER_URL)
  url.pathname = `/${name}`
  const handle = await openDatabase({ kind: 'postgres', url: url.toString() })
  await migrateToLatest(handle.db)
  return {
    ...handle,
    async close() {
      await handle.close()
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}
