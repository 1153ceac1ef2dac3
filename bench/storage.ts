/**
 * What a stored reading costs the database, on PostgreSQL and PGlite.
 * Server-side (20,000 rows moved by one INSERT ... SELECT from a table already loaded, so only
 * the insert is timed): the former layout (jsonb parsed from text into an unpartitioned table with
 * a plain index), the typed layout (double precision[] in day partitions with the (vehicle, ts)
 * primary key), and the typed layout with ON CONFLICT DO NOTHING (what deduplication costs).
 * From Node, in 1,000-row batches, every way of loading new rows we can show: the TelemetryWriter
 * (COPY into a staging table, INSERT ... ON CONFLICT DO NOTHING RETURNING), a plain INSERT over
 * unnest()ed array parameters with the same ON CONFLICT and RETURNING, and a COPY straight into
 * the table (no deduplication, so a resent row would fail the batch); then the writer with rows
 * that are all stored already. Node and PostgreSQL CPU per row split the cost.
 */
import { sql } from 'kysely'
import type { Db } from '../src/db/client.js'
import { TELEMETRY_COLUMNS, telemetryStorage } from '../src/db/telemetry-storage.js'
import { TelemetryWriter } from '../src/ingest/telemetry-writer.js'
import { readingValues } from '../src/schemas/telemetry-series.js'
import { materialize } from './lib/baselines.js'
import { createBenchDatabase, type DbKind, postgresAvailable, postgresVersion, seedFleet } from './lib/db.js'
import { loadEngine } from './lib/feed.js'
import { shippedFleet } from './lib/fleet.js'
import { BackendCpu } from './lib/pgcpu.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'

const bench = new Bench('storage')
const kinds: DbKind[] = (await postgresAvailable()) ? ['postgres', 'pglite'] : ['pglite']
if (!kinds.includes('postgres')) bench.note('PostgreSQL was not reachable: its rows are missing')
bench.set('postgres', await postgresVersion())
const N = QUICK ? 10_000 : 20_000
const BATCH = 1000
const { engine } = await loadEngine(shippedFleet().csv)
const readings = await materialize(engine, 28_800)
engine.stop()
const serverRows: Row[] = []
const nodeRows: Row[] = []

interface Timing {
  ms: number
  nodeUs: number
  pgUs: number | null
}

/** Best of 2 by wall time; `reset` runs before each, untimed. */
async function best(db: Db, kind: DbKind, reset: () => Promise<unknown>, run: () => Promise<unknown>) {
  let fastest: Timing = { ms: Number.POSITIVE_INFINITY, nodeUs: 0, pgUs: null }
  for (let i = 0; i < 2; i++) {
    await reset()
    const pg = kind === 'postgres' ? await BackendCpu.begin(db) : undefined
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await run()
    const ms = performance.now() - t0
    const c = process.cpuUsage(c0)
    if (ms < fastest.ms) fastest = { ms, nodeUs: c.user + c.system, pgUs: pg ? await pg.elapsedUs() : null }
  }
  return fastest
}

function perRow(t: Timing, n: number) {
  return {
    rows: n,
    'rows/s': Math.round((n / t.ms) * 1000),
    'µs/row': round((t.ms * 1000) / n, 1),
    'Node CPU µs/row': round(t.nodeUs / n, 1),
    'PG CPU µs/row': t.pgUs === null ? null : round(t.pgUs / n, 1),
  }
}

for (const kind of kinds) {
  const d = await createBenchDatabase(kind)
  try {
    await seedFleet(d.handle)
    const db: Db = d.handle.db
    const ids = new Map(
      (await db.selectFrom('vehicles').select(['id', 'vin']).execute()).map((v) => [v.vin, v.id]),
    )
    const docs = readings.slice(0, N).map((r) => ({ v: ids.get(r.vin)!, t: r.timestamp, d: r }))
    for (const day of new Set(docs.map((x) => x.t.slice(0, 10))))
      await sql`select telemetry_ensure_partition(${day}::date)`.execute(db)
    await sql`create table staging as select (e->>'v')::uuid as v, (e->>'t')::timestamptz as t,
      (e->'d')::text as dt, array(select jsonb_array_elements_text(e->'a')::float8) as a
      from jsonb_array_elements(${JSON.stringify(docs.map((x) => ({ ...x, a: readingValues(x.d) })))}::jsonb) as e`.execute(
      db,
    )
    await sql`create table t_jsonb (vehicle_id uuid not null references vehicles (id), ts timestamptz not null,
      sensor_data jsonb not null)`.execute(db)
    await sql`create index on t_jsonb (vehicle_id, ts)`.execute(db)
    const truncate = () => sql`truncate telemetry_logs, t_jsonb`.execute(db)
    const server = async (label: string, query: ReturnType<typeof sql>) =>
      serverRows.push({
        db: kind,
        insert: label,
        ...perRow(await best(db, kind, truncate, () => query.execute(db)), N),
      })
    await server(
      'former: jsonb parsed from text, unpartitioned',
      sql`insert into t_jsonb select v, t, dt::jsonb from staging`,
    )
    await server(
      'typed: double precision[], day partitions, primary key',
      sql`insert into telemetry_logs select v, t, a from staging`,
    )
    await server(
      'typed, ON CONFLICT DO NOTHING (deduplicated)',
      sql`insert into telemetry_logs select v, t, a from staging on conflict do nothing`,
    )

    const client = async (
      label: string,
      run: () => Promise<unknown>,
      reset: () => Promise<unknown> = truncate,
    ) => nodeRows.push({ db: kind, path: label, ...perRow(await best(db, kind, reset, run), N) })
    const write = async (concurrency: number) => {
      const writer = new TelemetryWriter(telemetryStorage(d.handle), { concurrency, batchSize: BATCH })
      for (const x of docs) writer.add({ vehicleId: x.v, ts: x.t, vals: readingValues(x.d) })
      await writer.close()
      return writer.stats
    }
    for (const concurrency of kind === 'postgres' ? [1, 2] : [1])
      await client(`TelemetryWriter: COPY to staging + ON CONFLICT RETURNING, ${concurrency} in flight`, () =>
        write(concurrency),
      )
    // The same work as the writer without its COPY: one statement per batch over four array parameters.
    await client('INSERT ... SELECT FROM unnest(arrays) ON CONFLICT RETURNING, 1 in flight', async () => {
      for (let i = 0; i < docs.length; i += BATCH) {
        const b = docs.slice(i, i + BATCH)
        const r = await sql<{ vehicle_id: string }>`
          insert into telemetry_logs (vehicle_id, ts, vals)
          select v, t, a::float8[]
          from unnest(${sql.val(b.map((x) => x.v))}::uuid[], ${sql.val(b.map((x) => x.t))}::timestamptz[],
                      ${sql.val(b.map((x) => `{${readingValues(x.d).join(',')}}`))}::text[]) as u(v, t, a)
          on conflict do nothing returning vehicle_id, ts`.execute(db)
        if (r.rows.length !== b.length) throw new Error(`unnest stored ${r.rows.length} of ${b.length}`)
      }
    })
    await client('COPY straight into telemetry_logs (no dedupe, no RETURNING), 1 in flight', async () => {
      for (let i = 0; i < docs.length; i += BATCH) {
        let text = ''
        for (const x of docs.slice(i, i + BATCH))
          text += `${x.v}\t${x.t}\t{${readingValues(x.d).join(',')}}\n`
        await d.handle.copyIn('telemetry_logs', TELEMETRY_COLUMNS, text)
      }
    })
    let stats: Awaited<ReturnType<typeof write>> | undefined
    await client(
      'TelemetryWriter, the same rows again: all duplicates, 1 in flight',
      async () => {
        stats = await write(1)
      },
      async () => undefined,
    )
    if (stats && stats.duplicates !== N) throw new Error(`expected ${N} duplicates, got ${stats.duplicates}`)
  } finally {
    await d.close()
  }
}

bench.table('Server-side: one INSERT ... SELECT of the rows (best of 2)', serverRows)
bench.table('From Node: 1,000-row batches (best of 2)', nodeRows)
bench.save()
process.exit(0)
