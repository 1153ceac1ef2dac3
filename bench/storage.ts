/**
 * What a stored reading costs the database, on PostgreSQL and PGlite. Server-side, 20,000 rows:
 * the former layout (jsonb parsed from text into an unpartitioned table with a plain index), the
 * typed layout (double precision[] in day partitions with the (vehicle, ts) primary key), and the
 * typed layout with ON CONFLICT DO NOTHING (what deduplication costs). From Node: the
 * TelemetryWriter (1,000-row COPY through a staging table, duplicates skipped), with one and two
 * batches in flight, and the same rows sent again (every one a duplicate).
 */
import { sql } from 'kysely'
import type { Db } from '../src/db/client.js'
import { telemetryStorage } from '../src/db/telemetry-storage.js'
import { TelemetryWriter } from '../src/ingest/telemetry-writer.js'
import { readingValues } from '../src/schemas/telemetry-series.js'
import { materialize } from './lib/baselines.js'
import { createBenchDatabase, type DbKind, postgresAvailable, seedFleet } from './lib/db.js'
import { loadEngine } from './lib/feed.js'
import { shippedFleet } from './lib/fleet.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'

const bench = new Bench('storage')
const kinds: DbKind[] = (await postgresAvailable()) ? ['postgres', 'pglite'] : ['pglite']
const N = QUICK ? 10_000 : 20_000
const { engine } = await loadEngine(shippedFleet().csv)
const readings = await materialize(engine, 28_800)
engine.stop()
const rows: Row[] = []

function record(kind: DbKind, label: string, n: number, ms: number) {
  rows.push({
    db: kind,
    insert: label,
    rows: n,
    'rows/s': Math.round((n / ms) * 1000),
    'µs/row': round((ms * 1000) / n, 1),
  })
}

async function best(reset: () => Promise<unknown>, run: () => Promise<unknown>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY
  for (let i = 0; i < 2; i++) {
    await reset()
    const t0 = performance.now()
    await run()
    fastest = Math.min(fastest, performance.now() - t0)
  }
  return fastest
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
      record(kind, label, N, await best(truncate, () => query.execute(db)))
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

    const write = async (concurrency: number) => {
      const writer = new TelemetryWriter(telemetryStorage(d.handle), { concurrency })
      for (const x of docs) writer.add({ vehicleId: x.v, ts: x.t, vals: readingValues(x.d) })
      await writer.close()
      return writer.stats
    }
    for (const concurrency of kind === 'postgres' ? [1, 2] : [1]) {
      const ms = await best(truncate, () => write(concurrency))
      record(kind, `TelemetryWriter, COPY via staging, ${concurrency} in flight (from Node)`, N, ms)
    }
    let stats: Awaited<ReturnType<typeof write>> | undefined
    const again = await best(
      async () => undefined,
      async () => {
        stats = await write(1)
      },
    )
    if (stats && stats.duplicates !== N) throw new Error(`expected ${N} duplicates, got ${stats.duplicates}`)
    record(kind, 'TelemetryWriter, the same rows again: all duplicates (from Node)', N, again)
  } finally {
    await d.close()
  }
}

bench.table('Cost of a stored reading (best of 2)', rows)
bench.save()
process.exit(0)
