/**
 * 5. API under concurrent load (autocannon, from this process, against the server in its own
 * process): login, and the vehicle history with the database holding a month of fleet history
 * (the shipped fleet's 30 days, replayed once through the pipeline with its episodes, diagnoses
 * and bookings). Where `GET /api/vehicles/{vin}/history` is not there yet, `GET /api/vehicles`
 * and `GET /api/bookings` stand in (and the note says so).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { FLEET_VEHICLES } from '../src/simulation/fleet.js'
import { startBenchApp } from './lib/app.js'
import { type DbKind, dropPostgresDatabase, postgresAvailable } from './lib/db.js'
import { feed, loadEngine } from './lib/feed.js'
import { shippedFleet } from './lib/fleet.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'
import { ensureBuild, startServer } from './lib/server.js'

const bench = new Bench('api')
const DURATION_S = QUICK ? 3 : 6
const kinds: DbKind[] = (await postgresAvailable()) ? ['postgres', 'pglite'] : ['pglite']
const built = ensureBuild()
const serverArgs = built ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts']
if (!built) bench.note('the build failed: the server ran from src/ through tsx')
const rows: Row[] = []
const vin = FLEET_VEHICLES[0]!.vin

/** A database with the shipped fleet's month in it; returns DATABASE_URL and how to remove it. */
async function monthOfHistory(kind: DbKind) {
  const dataDir = kind === 'pglite' ? mkdtempSync(join(os.tmpdir(), 'autonoma-bench-api-')) : undefined
  const app = await startBenchApp({ kind, dataDir })
  const { engine, rows: month } = await loadEngine(shippedFleet().csv)
  const t0 = performance.now()
  await feed(app.app, engine, { limit: month })
  engine.stop()
  const counts = {
    readings: month,
    events: Number(
      (
        await app.database.handle.db
          .selectFrom('anomaly_events')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
    loadMs: Math.round(performance.now() - t0),
  }
  const url = app.database.url
  await app.close({ keepDatabase: true })
  const remove = async () => {
    if (kind === 'postgres') await dropPostgresDatabase(url)
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
  return { url, counts, remove }
}

async function login(base: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`)
  return ((await res.json()) as { access_token: string }).access_token
}

async function load(
  kind: DbKind,
  label: string,
  connections: number,
  opts: autocannon.Options,
): Promise<void> {
  const r = await autocannon({ connections, duration: DURATION_S, ...opts })
  rows.push({
    db: kind,
    request: label,
    connections,
    'req/s': Math.round(r.requests.average),
    'p50 ms': round(r.latency.p50, 1),
    'p99 ms': round(r.latency.p99, 1),
    'max ms': round(r.latency.max, 0),
    '2xx': r['2xx'],
    'non-2xx': r.non2xx,
    errors: r.errors + r.timeouts,
    'KB/s': Math.round(r.throughput.average / 1024),
  })
  console.log(`  ${kind} ${label}: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms`)
}

for (const kind of kinds) {
  const db = await monthOfHistory(kind)
  bench.note(
    `${kind}: ${db.counts.readings} readings and ${db.counts.events} anomaly events loaded in ${db.counts.loadMs} ms`,
  )
  const server = await startServer(process.execPath, serverArgs, {
    DATABASE_URL: db.url,
    STREAM_ENABLED: 'false',
    SEED_DEMO: 'false',
  })
  try {
    const { base } = server
    const staff = await login(base, 'service@ey.com', 'ey_secure')
    const customer = await login(base, 'user@demo.com', 'pass123')
    const auth = (token: string) => ({ authorization: `Bearer ${token}` })
    await load(kind, 'POST /api/auth/login', 8, {
      url: `${base}/api/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'user@demo.com', password: 'pass123' }),
    })
    const probe = await fetch(`${base}/api/vehicles/${vin}/history`, { headers: auth(customer) })
    await probe.arrayBuffer()
    if (probe.status === 200) {
      await load(kind, 'GET /api/vehicles/{vin}/history (customer)', 32, {
        url: `${base}/api/vehicles/${vin}/history`,
        headers: auth(customer),
      })
    } else {
      bench.note(
        `GET /api/vehicles/{vin}/history answered ${probe.status}: not there yet, measured the lists instead`,
      )
    }
    await load(kind, 'GET /api/vehicles (staff, 10 vehicles)', 32, {
      url: `${base}/api/vehicles`,
      headers: auth(staff),
    })
    await load(kind, 'GET /api/bookings (staff)', 32, { url: `${base}/api/bookings`, headers: auth(staff) })
    await load(kind, 'GET /api/health', 32, { url: `${base}/api/health` })
  } finally {
    await server.stop()
    await db.remove()
  }
}

bench.table('API under concurrent load (autocannon, server in its own process, LOG_LEVEL=warn)', rows)
bench.save()
process.exit(0)
