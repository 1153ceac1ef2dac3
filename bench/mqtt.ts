/**
 * End to end over MQTT: the server in its own process (`node dist/server.js`, embedded broker on a
 * free port, replay off) and the vehicle simulator (`scripts/simulate.ts`, the command
 * `npm run simulate` runs) in another: 1,000 units provisioned through the API, each on its own
 * MQTT connection at QoS 1, every reading analysed and stored before its PUBACK. Per rate: readings
 * per second acknowledged, PUBACK latency (first send to PUBACK, retries included), CPU of the
 * server, of PostgreSQL's backends and of the simulator per reading; the simulator then checks
 * through the range API that every acknowledged reading is stored once (its exit code).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import type { SimSummary } from '../scripts/simulator/run.js'
import { openDatabase } from '../src/db/client.js'
import { createBenchDatabase, type DbKind, dropPostgresDatabase, postgresAvailable } from './lib/db.js'
import { ROOT } from './lib/fleet.js'
import { BackendCpu } from './lib/pgcpu.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'
import { ensureBuild, freePort, startServer } from './lib/server.js'

const bench = new Bench('mqtt')
const kinds: DbKind[] = (await postgresAvailable()) ? ['postgres', 'pglite'] : ['pglite']
if (!kinds.includes('postgres')) bench.note('PostgreSQL was not reachable: its rows are missing')
if (!ensureBuild()) throw new Error('the build failed')
const VEHICLES = QUICK ? 200 : 1000
// Readings per second per vehicle; each unit sends once a second what it measured since the last send.
const RATES = QUICK ? [5] : [5, 20]
const SECONDS = QUICK ? 10 : 20
const rows: Row[] = []

function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * 10_000
}

/** Runs the simulator in its own process; resolves with its JSON summary and its CPU time. */
function simulate(args: string[]): Promise<{ summary: SimSummary; cpuUs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', ...args, '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += String(d)
    })
    child.stderr.on('data', (d) => {
      err = (err + String(d)).slice(-3000)
    })
    // Its /proc entry is gone once it exits: the last sample is within 200 ms of its end.
    let cpuUs = 0
    const timer = setInterval(() => {
      try {
        cpuUs = processCpuUs(child.pid!)
      } catch {
        // exited
      }
    }, 200)
    child.once('exit', () => {
      clearInterval(timer)
      try {
        resolve({ summary: JSON.parse(out.slice(out.indexOf('{'))) as SimSummary, cpuUs })
      } catch {
        reject(new Error(`the simulator gave no summary: ${err}`))
      }
    })
  })
}

for (const kind of kinds) {
  const dataDir = kind === 'pglite' ? mkdtempSync(join(os.tmpdir(), 'autonoma-bench-mqtt-')) : undefined
  const database = await createBenchDatabase(kind, dataDir)
  const url = database.url
  await database.handle.close()
  const mqttPort = await freePort()
  const server = await startServer(
    process.execPath,
    ['dist/server.js'],
    {
      DATABASE_URL: url,
      STREAM_ENABLED: 'false',
      SEED_DEMO: 'true',
      MQTT_PORT: String(mqttPort),
      MQTT_HOST: '127.0.0.1',
      DEVICE_RATE_PER_SECOND: '1000000',
      DEVICE_RATE_BURST: '10000000',
      // Provisioning 1,000 vehicles in a minute steps the manufacturer up (UEBA: a burst), which
      // delays each of its requests by a second: fine for a person, slow for a bench's setup.
      UEBA_STEP_UP_DELAY_MS: '0',
    },
    60_000,
  )
  const probe = kind === 'postgres' ? await openDatabase({ kind, url }) : undefined
  try {
    for (const [i, rate] of RATES.entries()) {
      const args = [
        '--vehicles',
        String(VEHICLES),
        '--rate',
        String(rate),
        '--protocol',
        'mqtt',
        '--url',
        server.base,
        '--mqtt-url',
        `mqtt://127.0.0.1:${mqttPort}`,
        '--duration',
        String(SECONDS),
        '--provision',
        i === 0 ? 'create' : 'rotate',
        '--window',
        '64',
        '--drain-timeout',
        '120',
      ]
      const pg = probe ? await BackendCpu.begin(probe.db) : undefined
      const cpu0 = processCpuUs(server.child.pid!)
      const { summary: s, cpuUs: simUs } = await simulate(args)
      const serverUs = processCpuUs(server.child.pid!) - cpu0
      const pgUs = pg ? await pg.elapsedUs() : null
      const acked = Math.max(1, s.readings.acknowledged)
      const per = (us: number | null) => (us === null ? null : round(us / acked, 1))
      rows.push({
        db: kind,
        vehicles: VEHICLES,
        'offered readings/s': VEHICLES * rate,
        'acknowledged readings/s': Math.round(s.readings_per_second),
        sent: s.readings.sent,
        acknowledged: s.readings.acknowledged,
        rejected: s.readings.rejected,
        unacknowledged: s.readings.unacknowledged,
        retries: s.messages.retries,
        reconnects: s.messages.reconnects,
        'PUBACK p50 ms': round(s.ack_latency_ms.p50, 1),
        'PUBACK p99 ms': round(s.ack_latency_ms.p99, 1),
        'server CPU µs/reading': per(serverUs),
        'PG CPU µs/reading': per(pgUs),
        'simulator CPU µs/reading': per(simUs),
        verified: s.exit_code === 0 ? 'yes' : `exit ${s.exit_code}`,
      })
      if (s.error) bench.note(`${kind} ${rate}/s per vehicle: ${s.error}`)
      console.log(`  ${kind} ${VEHICLES} x ${rate}/s: ${rows.at(-1)!['acknowledged readings/s']} readings/s`)
    }
  } finally {
    await probe?.close()
    await server.stop()
    if (kind === 'postgres') await dropPostgresDatabase(url)
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
}
bench.table('End to end over MQTT (simulator in its own process, QoS 1)', rows)
bench.save()
