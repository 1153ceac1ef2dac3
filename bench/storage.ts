/**
 * What a stored reading costs the database, on PostgreSQL and PGlite: server-side INSERT ... SELECT
 * of 20,000 rows into `telemetry_logs` and into copies without its foreign key and index, with the
 * jsonb already parsed or parsed from text; then the TelemetryWriter's own statement (1,000 rows
 * per INSERT over one JSON array) with one and with two batches in flight.
 */
import { sql } from 'kysely'
import type { Db } from '../src/db/client.js'
import { TelemetryWriter } from '../src/ingest/telemetry-writer.js'
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

async function timed(db: Db, label: string, kind: DbKind, query: ReturnType<typeof sql>, n = N) {
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < 2; i++) {
    await sql`truncate telemetry_logs, t_no_fk, t_bare`.execute(db)
    const t0 = performance.now()
    await query.execute(db)
    best = Math.min(best, performance.now() - t0)
  }
  rows.push({
    db: kind,
    insert: label,
    rows: n,
    'rows/s': Math.round((n / best) * 1000),
    'µs/row': round((best * 1000) / n, 1),
  })
}

for (const kind of kinds) {
  const d = await createBenchDatabase(kind)
  try {
    await seedFleet(d.handle)
    const db = d.handle.db
    const ids = new Map(
      (await db.selectFrom('vehicles').select(['id', 'vin']).execute()).map((v) => [v.vin, v.id]),
    )
    const docs = readings.slice(0, N).map((r) => ({ v: ids.get(r.vin)!, t: r.timestamp, d: r }))
    await sql`create table staging as select (e->>'v')::uuid as v, (e->>'t')::timestamptz as t, e->'d' as d, (e->'d')::text as dt
      from jsonb_array_elements(${JSON.stringify(docs)}::jsonb) as e`.execute(db)
    // LIKE copies columns, NOT NULL and (with INCLUDING INDEXES) the index, never the foreign key.
    await sql`create table t_no_fk (like telemetry_logs including indexes)`.execute(db)
    await sql`create table t_bare (like telemetry_logs)`.execute(db)
    await timed(
      db,
      'telemetry_logs, jsonb parsed from text (what the writer pays)',
      kind,
      sql`insert into telemetry_logs select v, t, dt::jsonb from staging`,
    )
    await timed(
      db,
      'telemetry_logs, jsonb already parsed',
      kind,
      sql`insert into telemetry_logs select v, t, d from staging`,
    )
    await timed(
      db,
      'same, without the foreign key',
      kind,
      sql`insert into t_no_fk select v, t, d from staging`,
    )
    await timed(
      db,
      'same, without foreign key and index',
      kind,
      sql`insert into t_bare select v, t, d from staging`,
    )

    // The writer itself, from Node: JSON array batches of 1,000, one or two in flight.
    for (const concurrency of kind === 'postgres' ? [1, 2] : [1]) {
      let best = Number.POSITIVE_INFINITY
      const n = readings.length
      for (let i = 0; i < 2; i++) {
        await sql`truncate telemetry_logs`.execute(db)
        const writer = new TelemetryWriter(db, { concurrency })
        const t0 = performance.now()
        for (const r of readings) writer.add({ vehicleId: ids.get(r.vin)!, ts: r.timestamp, data: r })
        await writer.close()
        best = Math.min(best, performance.now() - t0)
      }
      rows.push({
        db: kind,
        insert: `TelemetryWriter, 1,000-row JSON batches, ${concurrency} in flight (from Node)`,
        rows: n,
        'rows/s': Math.round((n / best) * 1000),
        'µs/row': round((best * 1000) / n, 1),
      })
    }
  } finally {
    await d.close()
  }
}

bench.table('Cost of a stored reading (best of 2)', rows)
bench.save()
process.exit(0)
