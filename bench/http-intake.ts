/**
 * HTTP device intake: readings/s stored through POST /api/v1/telemetry with the server in its own
 * process (`node dist/server.js`, replay and MQTT off, the device rate limit raised out of the way)
 * and the load generator in another (bench/http-load.ts): batches of 1,000 readings, each batch
 * from one of 1,000 provisioned vehicles (tokens issued through the composition root's device
 * service in the server's database before it starts), on a few keep-alive connections with one
 * request in flight each. Per batch: latency from send to the 202 (which comes after the commit).
 * Afterwards the rows in telemetry_logs are counted and must equal the readings accepted.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DataAnalysisAgent } from '../src/agents/detection/data-agent.js'
import { openDatabase } from '../src/db/client.js'
import { syntheticFleet } from '../src/simulation/fleet-generator.js'
import type { LoadJob, LoadReport } from './http-load.js'
import { startBenchApp } from './lib/app.js'
import { materialize } from './lib/baselines.js'
import { type DbKind, dropPostgresDatabase, postgresAvailable, postgresVersion } from './lib/db.js'
import { loadEngine } from './lib/feed.js'
import { shippedFleet } from './lib/fleet.js'
import { BackendCpu } from './lib/pgcpu.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'
import { ensureBuild, startServer } from './lib/server.js'
import { LatencyHistogram } from './lib/stats.js'

const bench = new Bench('http-intake')
const kinds: DbKind[] = (await postgresAvailable()) ? ['postgres', 'pglite'] : ['pglite']
if (!kinds.includes('postgres')) bench.note('PostgreSQL was not reachable: its rows are missing')
bench.set('postgres', await postgresVersion())
const built = ensureBuild()
// `--cpu-prof-dir=DIR`: the server writes a CPU profile there when it stops (read it with profile-top.ts).
const profDir = process.argv.find((a) => a.startsWith('--cpu-prof-dir='))
const serverArgs = [
  ...(profDir ? ['--cpu-prof', profDir] : []),
  ...(built ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts']),
]
if (!built) bench.note('the build failed: the server ran from src/ through tsx')
const VEHICLES = 1000
const PER_BATCH = 1000
const STEP_MS = 1000
const CONNECTIONS = [2, 4, 8]
const batches = (kind: DbKind) => (QUICK ? 100 : kind === 'postgres' ? 1000 : 300)
const rows: Row[] = []

/** 1,000 consecutive readings of one shipped vehicle that the analysis finds normal: no agent runs. */
async function template(): Promise<string[]> {
  const { engine } = await loadEngine(shippedFleet().csv)
  const all = await materialize(engine, 28_800)
  engine.stop()
  const vin = all[0]!.vin
  const agent = new DataAnalysisAgent()
  const history = agent.createHistory()
  const out: string[] = []
  for (const r of all) {
    if (r.vin !== vin || agent.analyze(r, history).anomaly_detected) continue
    const { vin: _v, timestamp: _t, ...values } = r
    out.push(JSON.stringify(values).slice(1))
    if (out.length === PER_BATCH) return out
  }
  throw new Error(`only ${out.length} normal readings of ${vin}`)
}

/** A seeded database with the synthetic fleet and a device token for each of its vehicles. */
async function provision(kind: DbKind) {
  const dataDir = kind === 'pglite' ? mkdtempSync(join(os.tmpdir(), 'autonoma-bench-http-')) : undefined
  const fleet = syntheticFleet(VEHICLES)
  const t0 = performance.now()
  const app = await startBenchApp({ kind, extraVehicles: fleet, dataDir })
  const wanted = new Set(fleet.map((v) => v.vin))
  const devices: { vin: string; token: string }[] = []
  for (const v of await app.app.services.repos.vehicles.listAll()) {
    if (!wanted.has(v.vin)) continue
    devices.push({ vin: v.vin, token: (await app.app.services.devices.issue(v)).deviceToken })
  }
  const url = app.database.url
  await app.close({ keepDatabase: true })
  const remove = async () => {
    if (kind === 'postgres') await dropPostgresDatabase(url)
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
  return { url, devices, ms: Math.round(performance.now() - t0), remove }
}

function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * 10_000
}

async function startLoader(): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('./http-load.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)))
  })
  return child
}

function load(child: ChildProcess, job: LoadJob): Promise<LoadReport> {
  return new Promise((resolve) => {
    child.once('message', (m: { report: LoadReport }) => resolve(m.report))
    child.send(job)
  })
}

async function countStored(kind: DbKind, url: string): Promise<number> {
  const handle = await openDatabase(kind === 'postgres' ? { kind, url } : { kind, dataDir: url })
  try {
    const r = await handle.db
      .selectFrom('telemetry_logs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(r.n)
  } finally {
    await handle.close()
  }
}

const readings = await template()
for (const kind of kinds) {
  const db = await provision(kind)
  bench.note(`${kind}: ${db.devices.length} vehicles provisioned with device tokens in ${db.ms} ms`)
  const server = await startServer(process.execPath, serverArgs, {
    DATABASE_URL: db.url,
    STREAM_ENABLED: 'false',
    SEED_DEMO: 'false',
    MQTT_ENABLED: 'false',
    DEVICE_RATE_PER_SECOND: '1000000',
    DEVICE_RATE_BURST: '10000000',
  })
  const loader = await startLoader()
  // PostgreSQL's backends for this database, seen from a connection of our own.
  const probe = kind === 'postgres' ? await openDatabase({ kind, url: db.url }) : undefined
  let accepted = 0
  try {
    const n = batches(kind)
    const windows = Math.ceil(n / db.devices.length)
    // Every round its own time windows, all in the past (the intake refuses readings from the future).
    const span = windows * PER_BATCH * STEP_MS
    const firstTs = Date.now() - CONNECTIONS.length * span - 10 * 60_000
    for (const [i, connections] of CONNECTIONS.entries()) {
      const pg = probe ? await BackendCpu.begin(probe.db) : undefined
      const cpu0 = processCpuUs(server.child.pid!)
      const r = await load(loader, {
        base: server.base,
        devices: db.devices,
        template: readings,
        batches: n,
        connections,
        firstTs: firstTs + i * span,
        stepMs: STEP_MS,
      })
      const serverUs = processCpuUs(server.child.pid!) - cpu0
      const pgUs = pg ? await pg.elapsedUs() : null
      const h = new LatencyHistogram()
      h.merge(r.latency)
      const s = h.summary()
      accepted += r.accepted
      const per = (us: number | null) => (us === null ? null : round(us / Math.max(1, r.accepted), 1))
      rows.push({
        db: kind,
        connections,
        batches: n,
        'readings sent': n * PER_BATCH,
        accepted: r.accepted,
        duplicates: r.duplicates,
        rejected: r.rejected,
        'retried 503 / 429': `${r.retried[503] ?? 0} / ${r.retried[429] ?? 0}`,
        errors: r.errors,
        'stored readings/s': Math.round((r.accepted / r.ms) * 1000),
        'batch p50 ms': round(s.p50, 1),
        'batch p99 ms': round(s.p99, 1),
        'batch max ms': round(s.max, 1),
        'server CPU µs/reading': per(serverUs),
        'PG CPU µs/reading': per(pgUs),
        'load generator CPU µs/reading': per(r.cpuUs),
      })
      if (r.rejected)
        bench.note(`${kind} ${connections} connections: rejected ${JSON.stringify(r.rejectedCodes)}`)
      console.log(`  ${kind} ${connections} connections: ${rows.at(-1)!['stored readings/s']} readings/s`)
    }
  } finally {
    await probe?.close()
    loader.send({ cmd: 'exit' })
    await server.stop()
  }
  const stored = await countStored(kind, db.url)
  bench.note(
    `${kind}: ${stored.toLocaleString('en-US')} rows in telemetry_logs after the server stopped, ` +
      `${accepted.toLocaleString('en-US')} readings answered as accepted${stored === accepted ? ' (equal)' : ' (MISMATCH)'}`,
  )
  await db.remove()
}

bench.table('HTTP intake: POST /api/v1/telemetry, 1,000 readings per batch, server in its own process', rows)
bench.note('one request in flight per connection; latency = send to the 202, which follows the commit')
bench.save()
process.exit(0)
