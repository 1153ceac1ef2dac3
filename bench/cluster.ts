/**
 * Past one process: readings/s end to end (device HTTP intake on an API process -> JetStream ->
 * workers -> PostgreSQL) with 1, 2 and 3 workers against the single process on the same load;
 * Node CPU µs per reading per worker; per-partition lag under a 10x burst; failover time after
 * SIGKILL of a worker. A nats-server of its own (free port, temporary store), never the machine's.
 *   --quick   small sizes (checks the script runs; numbers mean nothing)
 *   --parts=throughput,burst,failover   only these parts (default: all three)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { createBenchDatabase, postgresAvailable } from './lib/db.js'
import { Bench, QUICK, type Row } from './lib/report.js'
import { ensureBuild, freePort, processCpuMs, type ServerProcess, startServer } from './lib/server.js'
import { sleep } from './lib/stats.js'

const VEHICLES = QUICK ? 8 : 200
const PER_VEHICLE = QUICK ? 40 : 200
const PARTITIONS = 16
const TTL_MS = QUICK ? 3000 : 10_000
const bench = new Bench('cluster')
const partsArg = process.argv.find((a) => a.startsWith('--parts='))?.slice('--parts='.length)
const PARTS = new Set((partsArg ?? 'throughput,burst,failover').split(','))

if (!(await postgresAvailable()) || !ensureBuild()) {
  bench.note('skipped: needs PostgreSQL (BENCH_PG_URL) and a build')
  bench.save()
  process.exit(0)
}

const store = mkdtempSync(join(tmpdir(), 'autonoma-bench-nats-'))
const natsPort = await freePort()
const nats: ChildProcess = spawn(
  '/usr/sbin/nats-server',
  ['-js', '-sd', store, '-p', String(natsPort), '-a', '127.0.0.1'],
  {
    stdio: 'ignore',
  },
)
await sleep(500)

interface Cluster {
  api: ServerProcess
  workers: ServerProcess[]
  db: Awaited<ReturnType<typeof createBenchDatabase>>
  stop(): Promise<void>
}

async function startCluster(workers: number): Promise<Cluster> {
  const db = await createBenchDatabase('postgres')
  const tag = randomBytes(3).toString('hex')
  const env = (role: string) => ({
    DATABASE_URL: db.url,
    SEED_DEMO: 'true',
    MQTT_ENABLED: 'false',
    DEVICE_RATE_PER_SECOND: '1000000',
    DEVICE_RATE_BURST: '1000000',
    ...(workers > 0
      ? {
          AUTONOMA_ROLE: role,
          NATS_URL: `nats://127.0.0.1:${natsPort}`,
          NATS_STREAM: `B_${tag}`,
          NATS_SUBJECT_PREFIX: `b${tag}`,
          NATS_PARTITIONS: String(PARTITIONS),
          NATS_LEASE_TTL_MS: String(TTL_MS),
        }
      : {}),
  })
  const api = await startServer(process.execPath, ['dist/server.js'], env('api'), 60_000)
  const ws = await Promise.all(
    Array.from({ length: workers }, () =>
      startServer(process.execPath, ['dist/server.js'], env('worker'), 60_000),
    ),
  )
  if (workers > 0)
    await until(async () => (await clusterView(api)).partitions.every((p) => p.owner !== null), 60_000)
  return {
    api,
    workers: ws,
    db,
    async stop() {
      await Promise.all([api, ...ws].map((p) => p.stop()))
      await db.close()
    },
  }
}

async function token(base: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@oem.com', password: 'admin_pass' }),
  })
  return ((await res.json()) as { access_token: string }).access_token
}

interface ClusterView {
  partitions: { partition: number; owner: string | null; lag: number }[]
  leases: { owned: number[] } | null
}

async function clusterView(p: ServerProcess): Promise<ClusterView> {
  const res = await fetch(`${p.base}/api/health/details`, {
    headers: { authorization: `Bearer ${await token(p.base)}` },
  })
  return ((await res.json()) as { components: { cluster: ClusterView } }).components.cluster
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error('timed out')
    await sleep(100)
  }
}

const VIN = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'
async function provision(base: string, n: number): Promise<{ vin: string; token: string }[]> {
  const auth = `Bearer ${await token(base)}`
  const out: { vin: string; token: string }[] = []
  for (let i = 0; i < n; i++) {
    const vin = Array.from(randomBytes(17), (b) => VIN[b % VIN.length]).join('')
    const res = await fetch(`${base}/api/vehicles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({ vin, owner: 'user@demo.com', model: 'Model C' }),
    })
    out.push({ vin, token: ((await res.json()) as { device_token: string }).device_token })
  }
  return out
}

const reading = (ts: number) => ({
  timestamp: ts,
  ...{
    soc: 0.72,
    soh: 0.95,
    battery_voltage: 380,
    battery_current: -40,
    battery_temperature: 30,
    charge_cycles: 150,
  },
  ...{
    motor_temperature: 55,
    motor_vibration: 0.4,
    motor_torque: 150,
    motor_rpm: 2000,
    power_consumption: 25,
  },
  ...{
    brake_pad_wear: 0.3,
    brake_pressure: 40,
    reg_brake_efficiency: 0.85,
    tire_pressure: 33,
    tire_temperature: 30,
  },
  ...{
    suspension_load: 180,
    ambient_temperature: 15,
    ambient_humidity: 45,
    load_weight: 800,
    driving_speed: 55,
  },
  ...{ distance_traveled: 12, idle_time: 0.5, route_roughness: 0.2, rul: 250, failure_probability: 0 },
  ...{ maintenance_type: 0, ttf: 180, component_health_score: 0.9 },
})

/** Each unit sends `count` readings from `from`, `batch` per request, `gapMs` between requests. */
async function send(
  base: string,
  units: { token: string }[],
  from: number,
  count: number,
  batch: number,
  gapMs = 0,
) {
  const t0 = Date.now() - 3_600_000
  await Promise.all(
    units.map(async (u) => {
      for (let i = from; i < from + count; i += batch) {
        const body = Array.from({ length: Math.min(batch, from + count - i) }, (_, k) =>
          reading(t0 + (i + k) * 1000),
        )
        for (;;) {
          const res = await fetch(`${base}/api/v1/telemetry`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${u.token}` },
            body: JSON.stringify(body),
          }).catch(() => undefined)
          if (res?.status === 202) {
            await res.arrayBuffer()
            break
          }
          await sleep(100)
        }
        if (gapMs) await sleep(gapMs)
      }
    }),
  )
}

async function stored(c: Cluster): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from telemetry_logs`.execute(
    c.db.handle.db,
  )
  return rows[0]!.n
}

// Throughput and CPU per reading, single process (0 workers) against 1, 2, 3 workers.
const throughput: Row[] = []
for (const workers of PARTS.has('throughput') ? [0, 1, 2, 3] : []) {
  const c = await startCluster(workers)
  try {
    const units = await provision(c.api.base, VEHICLES)
    const before = await stored(c)
    const cpu0 = [c.api, ...c.workers].map((p) => processCpuMs(p.child.pid) ?? 0)
    const t0 = performance.now()
    await send(c.api.base, units, 0, PER_VEHICLE, 50)
    const total = VEHICLES * PER_VEHICLE
    await until(async () => (await stored(c)) - before >= total, 120_000)
    const seconds = (performance.now() - t0) / 1000
    const cpu = [c.api, ...c.workers].map((p, i) => (processCpuMs(p.child.pid) ?? 0) - cpu0[i]!)
    const workerCpu = workers > 0 ? cpu.slice(1) : cpu
    throughput.push({
      setup: workers === 0 ? 'single process' : `API + ${workers} worker${workers > 1 ? 's' : ''}`,
      readings: total,
      'readings/s': Math.round(total / seconds),
      'API CPU µs/reading': workers > 0 ? Math.round((cpu[0]! * 1000) / total) : null,
      'worker CPU µs/reading': Math.round((workerCpu.reduce((a, b) => a + b, 0) * 1000) / total),
    })
  } finally {
    await c.stop()
  }
}
if (throughput.length) bench.table('End to end, HTTP intake to PostgreSQL', throughput)

// A 10x burst on two workers: the worst partition's lag, and how long it takes to drain.
if (PARTS.has('burst')) {
  const c = await startCluster(2)
  try {
    const units = await provision(c.api.base, VEHICLES)
    let maxLag = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const view = await clusterView(c.api).catch(() => undefined)
        for (const p of view?.partitions ?? []) maxLag = Math.max(maxLag, p.lag)
        await sleep(250)
      }
    })()
    await send(c.api.base, units, 0, PER_VEHICLE / 4, 5, 100)
    const steadyLag = maxLag
    const burstAt = performance.now()
    await send(c.api.base, units, PER_VEHICLE / 4, PER_VEHICLE / 4, 50)
    await until(async () => (await clusterView(c.api)).partitions.every((p) => p.lag === 0), 120_000)
    const drainedMs = performance.now() - burstAt
    sampling = false
    await sampler
    bench.table('Per-partition lag under a 10x burst (2 workers)', [
      { phase: 'steady', 'max partition lag': steadyLag, 'drained after ms': null },
      { phase: '10x burst', 'max partition lag': maxLag, 'drained after ms': Math.round(drainedMs) },
    ])
  } finally {
    await c.stop()
  }
}

// Failover: SIGKILL one of two workers while the fleet sends; until the survivor holds every partition.
if (PARTS.has('failover')) {
  const c = await startCluster(2)
  try {
    const units = await provision(c.api.base, VEHICLES)
    const sending = send(c.api.base, units, 0, PER_VEHICLE, 5, 20)
    await sleep(1000)
    const killedAt = performance.now()
    c.workers[0]!.child.kill('SIGKILL')
    await until(async () => (await clusterView(c.workers[1]!)).leases?.owned.length === PARTITIONS, 120_000)
    const movedMs = performance.now() - killedAt
    await sending
    await until(async () => (await stored(c)) >= VEHICLES * PER_VEHICLE, 120_000)
    bench.table('Failover after SIGKILL of one of two workers', [
      {
        'lease TTL ms': TTL_MS,
        'partitions moved after ms': Math.round(movedMs),
        'readings stored': await stored(c),
      },
    ])
  } finally {
    await c.stop()
  }
}

bench.note(
  `${VEHICLES} vehicles x ${PER_VEHICLE} readings, ${PARTITIONS} partitions, PostgreSQL, own nats-server`,
)
bench.save()
nats.kill('SIGTERM')
rmSync(store, { recursive: true, force: true })
process.exit(0)
