import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DbHandle, openDatabase } from '../../src/db/client.js'
import { MIGRATIONS_DIR, migrateToLatest } from '../../src/db/migrate.js'
import { readSnapshot, writeSnapshot } from '../../src/db/pglite-snapshot.js'
import { seedDemoData } from '../../src/demo.js'

/**
 * A new embedded database started from the snapshot must be the database initdb and the
 * migrations would have made: same migrations recorded, same schema, same demo data. A snapshot
 * that cannot be trusted is ignored with a warning, and an existing directory is never touched.
 */
const tmp = mkdtempSync(join(tmpdir(), 'autonoma-snapshot-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const snapshot = join(tmp, 'snap')

function recordingLogger() {
  const warnings: string[] = []
  return { warnings, logger: { warn: (_obj: object, msg?: string) => void warnings.push(msg ?? '') } }
}

/** What a user of the database could tell apart: migrations, schema, and how many rows of what. */
async function state(h: DbHandle) {
  const rows = async <T>(q: ReturnType<typeof sql<T>>) => (await q.execute(h.db)).rows
  const migrations = await rows(sql<{ name: string }>`select name from kysely_migration order by name`)
  const columns = await rows(sql`
    select table_name, column_name, data_type, is_nullable, column_default
    from information_schema.columns where table_schema = 'public' order by table_name, column_name`)
  const indexes = await rows(sql`
    select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`)
  const functions = await rows(sql`
    select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' order by p.proname`)
  const tables = await rows(sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`)
  const counts: Record<string, number> = {}
  for (const { table_name } of tables) {
    const [row] = await rows(sql<{ n: number }>`select count(*)::int as n from ${sql.table(table_name)}`)
    counts[table_name] = row!.n
  }
  const users = await rows(sql`select email, role from users order by email`)
  const vehicles = await rows(sql`select vin, model, batch from vehicles order by vin`)
  return { migrations: migrations.map((m) => m.name), columns, indexes, functions, counts, users, vehicles }
}

/** Opens, migrates and seeds the demo, as `server.ts` does; returns the state and what migrated. */
async function startDemo(
  dataDir: string | null,
  pgliteSnapshot?: string,
  logger?: { warn(obj: object, msg?: string): void },
) {
  const h = await openDatabase({ kind: 'pglite', dataDir }, { pgliteSnapshot, logger })
  try {
    const { applied } = await migrateToLatest(h.db)
    const seed = await seedDemoData(h.db)
    return { applied, seeded: seed.seeded, state: await state(h) }
  } finally {
    await h.close()
  }
}

/** A one-file tarball (ustar): valid as a tarball, not a PostgreSQL data directory. */
function tinyTar(): Buffer {
  const header = Buffer.alloc(512)
  const body = Buffer.from('not a database\n')
  header.write('hello.txt', 0)
  header.write('0000644\0', 100)
  header.write('0000000\0', 108)
  header.write('0000000\0', 116)
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124)
  header.write('00000000000\0', 136)
  header.write('        ', 148)
  header.write('0', 156)
  header.write('ustar\u000000', 257)
  let sum = 0
  for (const b of header) sum += b
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  const padded = Buffer.alloc(512)
  body.copy(padded)
  return Buffer.concat([header, padded, Buffer.alloc(1024)])
}

/** A copy of the snapshot with its tarball replaced and the manifest made to match it. */
function forgedSnapshot(name: string, tar: Buffer): string {
  const path = join(tmp, name)
  const manifest = JSON.parse(readFileSync(`${snapshot}.json`, 'utf8'))
  writeFileSync(`${path}.tar`, tar)
  writeFileSync(
    `${path}.json`,
    JSON.stringify({
      ...manifest,
      bytes: tar.byteLength,
      sha256: createHash('sha256').update(tar).digest('hex'),
    }),
  )
  return path
}

describe('the PGlite snapshot', () => {
  let reference: Awaited<ReturnType<typeof startDemo>>

  beforeAll(async () => {
    const written = await writeSnapshot(snapshot)
    expect(written.migrations.length).toBeGreaterThan(0)
    reference = await startDemo(null)
  }, 120_000)

  it('starts a new in-memory database with the schema, migrations and demo data of initdb', async () => {
    const { warnings, logger } = recordingLogger()
    const fromSnapshot = await startDemo(null, snapshot, logger)
    expect(warnings).toEqual([])
    // Nothing left to migrate: the snapshot was used, not initdb.
    expect(fromSnapshot.applied).toEqual([])
    expect(reference.applied).toEqual(reference.state.migrations)
    expect(fromSnapshot.seeded).toBe(true)
    expect(fromSnapshot.state).toEqual(reference.state)
    expect(fromSnapshot.state.counts.users).toBeGreaterThan(0)
  }, 60_000)

  it('starts a new directory from it, and reopens that directory as it left it', async () => {
    const dir = join(tmp, 'data-dir')
    const { warnings, logger } = recordingLogger()
    const first = await startDemo(dir, snapshot, logger)
    expect(first.applied).toEqual([])
    expect(first.state).toEqual(reference.state)

    // A restart: the directory has a database, so the snapshot is not unpacked over it.
    const h = await openDatabase({ kind: 'pglite', dataDir: dir }, { pgliteSnapshot: snapshot, logger })
    try {
      await sql`update users set name = 'Renamed' where email = 'user@demo.com'`.execute(h.db)
    } finally {
      await h.close()
    }
    const again = await startDemo(dir, snapshot, logger)
    expect(again.seeded).toBe(false)
    expect(again.state.counts).toEqual(reference.state.counts)
    const h2 = await openDatabase({ kind: 'pglite', dataDir: dir })
    try {
      const { rows } = await sql<{
        name: string
      }>`select name from users where email = 'user@demo.com'`.execute(h2.db)
      expect(rows[0]?.name).toBe('Renamed')
    } finally {
      await h2.close()
    }
    expect(warnings).toEqual([])
  }, 60_000)

  it('upgrades a snapshot older than the migrations instead of trusting it', async () => {
    const older = join(tmp, 'migrations-old')
    mkdirSync(older)
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort()
    for (const f of files.slice(0, 2)) cpSync(join(MIGRATIONS_DIR, f), join(older, f))
    const oldSnapshot = join(tmp, 'old')
    await writeSnapshot(oldSnapshot, older)

    const upgraded = await startDemo(null, oldSnapshot)
    expect(upgraded.applied).toEqual(reference.state.migrations.slice(2))
    expect(upgraded.state).toEqual(reference.state)
  }, 120_000)

  it('ignores, with a warning, a snapshot of another PGlite release, a damaged one and a non-tarball', async () => {
    const manifest = JSON.parse(readFileSync(`${snapshot}.json`, 'utf8'))
    const tar = readFileSync(`${snapshot}.tar`)
    const cases: Array<[string, () => void, string]> = [
      [
        'release',
        () => writeFileSync(join(tmp, 'release.json'), JSON.stringify({ ...manifest, pglite: '0.3.0' })),
        'PGlite snapshot from another PGlite release: ignored, running initdb',
      ],
      [
        'flipped',
        () => {
          const damaged = Buffer.from(tar)
          damaged[damaged.length >> 1]! ^= 0xff
          writeFileSync(join(tmp, 'flipped.json'), JSON.stringify(manifest))
          writeFileSync(join(tmp, 'flipped.tar'), damaged)
        },
        'PGlite snapshot corrupt (size or checksum): ignored, running initdb',
      ],
      [
        'truncated',
        () => {
          writeFileSync(join(tmp, 'truncated.json'), JSON.stringify(manifest))
          writeFileSync(join(tmp, 'truncated.tar'), tar.subarray(0, tar.length >> 1))
        },
        'PGlite snapshot corrupt (size or checksum): ignored, running initdb',
      ],
      [
        'garbled-manifest',
        () => writeFileSync(join(tmp, 'garbled-manifest.json'), '{"format":'),
        'PGlite snapshot manifest unreadable: ignored, running initdb',
      ],
      [
        'gzip',
        () => void forgedSnapshot('gzip', Buffer.from([0x1f, 0x8b, 8, 0, ...new Array(600).fill(0)])),
        'PGlite snapshot is not a tarball: ignored, running initdb',
      ],
    ]
    for (const [name, make, warning] of cases) {
      if (name === 'release') cpSync(`${snapshot}.tar`, join(tmp, 'release.tar'))
      make()
      const { warnings, logger } = recordingLogger()
      expect(await readSnapshot(join(tmp, name), logger), name).toBeUndefined()
      expect(warnings, name).toEqual([warning])
    }
    // No snapshot at all is the ordinary initdb path: nothing to warn about.
    const { warnings, logger } = recordingLogger()
    expect(await readSnapshot(join(tmp, 'absent'), logger)).toBeUndefined()
    expect(warnings).toEqual([])
  })

  it('falls back to initdb on a damaged snapshot, to the same database', async () => {
    const { warnings, logger } = recordingLogger()
    const damaged = Buffer.from(readFileSync(`${snapshot}.tar`))
    damaged[4096]! ^= 0xff
    writeFileSync(join(tmp, 'damaged.json'), readFileSync(`${snapshot}.json`))
    writeFileSync(join(tmp, 'damaged.tar'), damaged)
    const fallback = await startDemo(null, join(tmp, 'damaged'), logger)
    expect(warnings).toEqual(['PGlite snapshot corrupt (size or checksum): ignored, running initdb'])
    expect(fallback.applied).toEqual(reference.state.migrations)
    expect(fallback.state).toEqual(reference.state)
  }, 60_000)

  it('falls back to initdb in a clean directory when a snapshot does not start', async () => {
    const dir = join(tmp, 'not-started')
    const { warnings, logger } = recordingLogger()
    const fallback = await startDemo(dir, forgedSnapshot('not-a-database', tinyTar()), logger)
    expect(warnings).toEqual(['PGlite snapshot did not start: ignored, running initdb'])
    expect(readdirSync(dir)).not.toContain('hello.txt')
    expect(fallback.applied).toEqual(reference.state.migrations)
    expect(fallback.state).toEqual(reference.state)
  }, 60_000)
})
