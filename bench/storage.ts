/**
 * What a stored reading costs the database, on PostgreSQL and PGlite: server-side INSERT ... SELECT
 * of 20,000 rows into `telemetry_logs` and into copies without its foreign key and index, with the
 * jsonb already parsed or parsed from text; then, from Node, one INSERT per row, 100-row INSERTs,
 * the writer's former 1,000-row INSERT over one jsonb array, and the TelemetryWriter (1,000-row
 * COPY batches) with one and with two batches in flight.
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

    // From Node, the whole round trip: the reference ladder, then the writer itself.
    const fromNode = async (label: string, n: number, write: (batch: typeof docs) => Promise<void>) => {
      let best = Number.POSITIVE_INFINITY
      for (let i = 0; i < 2; i++) {
        await sql`truncate telemetry_logs`.execute(db)
        const t0 = performance.now()
        await write(docs.slice(0, n))
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
    const values = (b: typeof docs) =>
      b.map((x) => ({ vehicle_id: x.v, ts: x.t, sensor_data: JSON.stringify(x.d) }))
    await fromNode('one INSERT per row (from Node)', Math.min(N, 2_000), async (batch) => {
      for (const row of values(batch)) await db.insertInto('telemetry_logs').values(row).execute()
    })
    await fromNode('100-row INSERTs (from Node)', N, async (batch) => {
      const all = values(batch)
      for (let i = 0; i < all.length; i += 100)
        await db
          .insertInto('telemetry_logs')
          .values(all.slice(i, i + 100))
          .execute()
    })
    await fromNode(
      '1,000-row INSERT over one jsonb array (the writer until this change)',
      N,
      async (batch) => {
        for (let i = 0; i < batch.length; i += 1000) {
          const payload = JSON.stringify(batch.slice(i, i + 1000))
          await sql`insert into telemetry_logs (vehicle_id, ts, sensor_data)
          select (e->>'v')::uuid, (e->>'t')::timestamptz, e->'d' from jsonb_array_elements(${payload}::jsonb) as e`.execute(
            db,
          )
        }
      },
    )
    for (const concurrency of kind === 'postgres' ? [1, 2] : [1]) {
      await fromNode(
        `TelemetryWriter: 1,000-row COPY batches, ${concurrency} in flight (from Node)`,
        N,
        async (batch) => {
          const writer = new TelemetryWriter(d.handle, { concurrency })
          for (const x of batch) writer.add({ vehicleId: x.v, ts: x.t, data: x.d })
          await writer.close()
        },
      )
    }
  } finally {
    await d.close()
  }
}

bench.table('Cost of a stored reading (best of 2)', rows)
bench.save()
process.exit(0)
