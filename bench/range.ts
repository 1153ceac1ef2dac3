/**
 * Range queries over stored telemetry: 10 million rows on PostgreSQL (1,000 vehicles x 35 days at
 * 5-minute readings; 1 million on PGlite: 100 vehicles), written with generate_series straight into
 * the real day partitions, then the hourly rollups built by the service's own RollupMaintainer
 * (its start-up catch-up, one day partition per statement) and the tables vacuumed and analysed as
 * autovacuum would leave them. Then, on random vehicles and random windows: a month from the
 * rollups (bucket=1h, about 720 buckets, and bucket=1d, 30) and one raw day (288 readings),
 * through the real route (GET /api/vehicles/{vin}/telemetry with a staff token, app.inject: auth,
 * validation, the query, the response schema and JSON) and through the repository alone (the
 * query and its rows). The bench database is dropped at the end.
 */
import { sql } from 'kysely'
import type { Db } from '../src/db/client.js'
import { NUMERIC_FIELDS } from '../src/schemas/telemetry.js'
import { syntheticFleet } from '../src/simulation/fleet-generator.js'
import { loginToken, startBenchApp } from './lib/app.js'
import { type DbKind, postgresAvailable, postgresVersion } from './lib/db.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'
import { summarize } from './lib/stats.js'

const bench = new Bench('range')
const kinds: DbKind[] = (await postgresAvailable()) ? ['postgres', 'pglite'] : ['pglite']
if (!kinds.includes('postgres')) bench.note('PostgreSQL was not reachable: its rows are missing')
bench.set('postgres', await postgresVersion())
const DAYS = 35
const STEP_MIN = 5
const DAY_MS = 86_400_000
const plan: Record<DbKind, { vehicles: number; queries: number }> = QUICK
  ? { postgres: { vehicles: 100, queries: 50 }, pglite: { vehicles: 20, queries: 30 } }
  : { postgres: { vehicles: 1000, queries: 300 }, pglite: { vehicles: 100, queries: 200 } }
const loadRows: Row[] = []
const queryRows: Row[] = []

/** Deterministic, so two runs query the same vehicles and windows. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

async function tableMb(db: Db, table: string): Promise<number> {
  const r = await sql<{ b: string }>`
    select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as b from pg_class c
    where c.oid = ${table}::regclass
       or c.oid in (select inhrelid from pg_inherits where inhparent = ${table}::regclass)`.execute(db)
  return Math.round(Number(r.rows[0]?.b ?? 0) / 2 ** 20)
}

for (const kind of kinds) {
  const { vehicles, queries } = plan[kind]
  const fleet = syntheticFleet(vehicles)
  const app = await startBenchApp({ kind, extraVehicles: fleet })
  try {
    const db = app.database.handle.db
    const { series, rollups } = app.app.services
    const ids = new Map(
      (await db.selectFrom('vehicles').select(['id', 'vin']).execute()).map((v) => [v.vin, v.id]),
    )
    const vins = fleet.map((v) => v.vin)
    const idList = vins.map((v) => ids.get(v)!)
    const first = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAYS * DAY_MS
    // Plausible magnitudes do not matter to a range read; 29 values per row, as stored, do.
    const vals = sql.raw(`array[${NUMERIC_FIELDS.map((_, i) => `random() * ${10 * (i + 1)}`).join(', ')}]`)
    const t0 = performance.now()
    for (let d = 0; d < DAYS; d++) {
      const day = new Date(first + d * DAY_MS)
      await sql`select telemetry_ensure_partition(${day.toISOString().slice(0, 10)}::date)`.execute(db)
      await sql`
        insert into telemetry_logs (vehicle_id, ts, vals)
        select v, ts, ${vals}
        from unnest(${sql.val(idList)}::uuid[]) as v,
          generate_series(${day.toISOString()}::timestamptz,
                          ${new Date(first + (d + 1) * DAY_MS - STEP_MIN * 60_000).toISOString()}::timestamptz,
                          ${`${STEP_MIN} minutes`}::interval) as ts`.execute(db)
    }
    const loadMs = performance.now() - t0
    const t1 = performance.now()
    await rollups.catchUp()
    const rollupMs = performance.now() - t1
    const t2 = performance.now()
    await sql`vacuum analyze telemetry_logs`.execute(db)
    await sql`vacuum analyze telemetry_hourly`.execute(db)
    const vacuumMs = performance.now() - t2
    const counts = await sql<{ raw: string; hourly: string }>`
      select (select count(*) from telemetry_logs) as raw, (select count(*) from telemetry_hourly) as hourly`.execute(
      db,
    )
    const raw = Number(counts.rows[0]!.raw)
    const hourly = Number(counts.rows[0]!.hourly)
    const catchUp = rollups.stats.catchUp
    if (catchUp.state !== 'done')
      throw new Error(`rollup catch-up ${catchUp.state}: ${rollups.stats.lastError}`)
    loadRows.push({
      db: kind,
      vehicles,
      days: DAYS,
      'raw rows': raw,
      'load (generate_series) s': round(loadMs / 1000, 1),
      'rows/s loaded': Math.round((raw / loadMs) * 1000),
      'hourly rollups': hourly,
      'rollups built s': round(rollupMs / 1000, 1),
      'raw rows/s rolled up': Math.round((raw / rollupMs) * 1000),
      'vacuum analyze s': round(vacuumMs / 1000, 1),
      'telemetry_logs MB': kind === 'postgres' ? await tableMb(db, 'telemetry_logs') : null,
      'telemetry_hourly MB': kind === 'postgres' ? await tableMb(db, 'telemetry_hourly') : null,
    })
    console.log(
      `  ${kind}: ${raw} rows in ${Math.round(loadMs)} ms, ${hourly} rollups in ${Math.round(rollupMs)} ms`,
    )

    const token = await loginToken(app.app, 'admin@oem.com', 'admin_pass')
    const cases = [
      { label: 'a month, bucket=1h', bucket: '1h', days: 30, expect: 30 * 24 },
      { label: 'a month, bucket=1d', bucket: '1d', days: 30, expect: 30 },
      { label: 'one day, bucket=raw', bucket: 'raw', days: 1, expect: (24 * 60) / STEP_MIN },
    ] as const
    for (const c of cases) {
      const random = rng(42)
      const pick = () => {
        const vin = vins[Math.floor(random() * vins.length)]!
        // Whole UTC days inside the loaded ones, so every answer has the same size.
        const from = new Date(first + Math.floor(random() * (DAYS - c.days)) * DAY_MS)
        return { vin, from, to: new Date(from.getTime() + c.days * DAY_MS) }
      }
      const api: number[] = []
      const repo: number[] = []
      let bytes = 0
      for (let i = 0; i < queries + 20; i++) {
        const q = pick()
        const t = performance.now()
        const res = await app.app.inject({
          method: 'GET',
          url: `/api/vehicles/${q.vin}/telemetry?from=${q.from.toISOString()}&to=${q.to.toISOString()}&bucket=${c.bucket}`,
          headers: { authorization: `Bearer ${token}` },
        })
        const ms = performance.now() - t
        if (res.statusCode !== 200) throw new Error(`${c.label}: ${res.statusCode} ${res.body.slice(0, 200)}`)
        const n = (res.json() as unknown[]).length
        if (n !== c.expect) throw new Error(`${c.label}: ${n} items, expected ${c.expect}`)
        if (i < 20) continue // warm-up: JIT, plan cache, the vehicle's pages
        api.push(ms)
        bytes += res.rawPayload.length
      }
      for (let i = 0; i < queries + 20; i++) {
        const q = pick()
        const id = ids.get(q.vin)!
        const t = performance.now()
        const rows =
          c.bucket === '1h'
            ? await series.hourly(id, q.from, q.to)
            : c.bucket === '1d'
              ? await series.daily(id, q.from, q.to)
              : await series.raw(id, q.from, q.to, 10_000)
        if (i >= 20) repo.push(performance.now() - t)
        if (rows.length !== c.expect) throw new Error(`${c.label} (repository): ${rows.length} rows`)
      }
      const a = summarize(api)
      const r = summarize(repo)
      queryRows.push({
        db: kind,
        query: c.label,
        'items per answer': c.expect,
        'KB per answer': Math.round(bytes / api.length / 1024),
        queries: api.length,
        'API p50 ms': round(a.p50, 2),
        'API p99 ms': round(a.p99, 2),
        'API max ms': round(a.max, 1),
        'repository p50 ms': round(r.p50, 2),
        'repository p99 ms': round(r.p99, 2),
      })
      console.log(`  ${kind} ${c.label}: API p50 ${round(a.p50, 1)} p99 ${round(a.p99, 1)} ms`)
    }
  } finally {
    await app.close()
  }
}

bench.table('Stored telemetry: rows loaded and rolled up', loadRows)
bench.table('Range queries on random vehicles (after 20 warm-up queries each)', queryRows)
bench.note(
  'API = app.inject of GET /api/vehicles/{vin}/telemetry?from&to&bucket with a manufacturer token: routing, JWT, validation, the query, the response schema and JSON; repository = the telemetrySeries call alone',
)
bench.save()
process.exit(0)
