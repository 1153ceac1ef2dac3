/**
 * 2. Alert latency: from a reading entering ingestion to its alert arriving on a WebSocket client
 * (a staff dashboard in another process, which receives the whole fleet's telemetry as well), at
 * 1,000 and 5,000 readings/s offered. Two fleets, replayed in order so that alerts come from their
 * real episodes: the shipped one (10 vehicles, so 100-500 readings/s per vehicle: a month of
 * episodes in seconds, runs of one vehicle queue behind each other) and the 1,000-vehicle one
 * (1-5 readings/s per vehicle; its first three days, before any fault, are fed unpaced first to
 * build the baselines). A reading that opens or escalates an episode is noted when it goes in;
 * its alert is matched by VIN and trigger, in order (runs of one vehicle are serialized).
 */
import type { TelemetryReading } from '../src/schemas/telemetry.js'
import { type BenchApp, loginToken, startBenchApp } from './lib/app.js'
import { ClientProcess } from './lib/clients.js'
import { type DbKind, postgresAvailable } from './lib/db.js'
import { feed, loadEngine } from './lib/feed.js'
import { type BenchFleet, generatedFleet, shippedFleet } from './lib/fleet.js'
import { Bench, mb, QUICK, type Row, round } from './lib/report.js'
import { nowMs, sleep, summarize } from './lib/stats.js'

const bench = new Bench('latency')
const pg = await postgresAvailable()
const q = (full: number, quick: number) => (QUICK ? quick : full)
const PLAN: {
  kind: DbKind
  fleet: BenchFleet
  warmUp: number
  windows: { rate: number; seconds: number }[]
}[] = [
  ...(pg
    ? [
        {
          kind: 'postgres' as const,
          fleet: shippedFleet(),
          warmUp: 0,
          windows: [
            { rate: 1000, seconds: q(20, 8) },
            { rate: 5000, seconds: q(15, 6) },
          ],
        },
        {
          kind: 'postgres' as const,
          fleet: generatedFleet(1000, 4),
          warmUp: 3 * 96 * 1000,
          windows: [
            { rate: 1000, seconds: q(20, 8) },
            { rate: 5000, seconds: q(15, 6) },
          ],
        },
      ]
    : []),
  { kind: 'pglite', fleet: shippedFleet(), warmUp: 0, windows: [{ rate: 5000, seconds: q(15, 6) }] },
]
const rows: Row[] = []

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** Offers `rate` readings/s for `seconds` and returns the latency row. */
async function window(
  app: BenchApp,
  client: ClientProcess,
  stream: AsyncGenerator<TelemetryReading>,
  label: { kind: DbKind; fleet: BenchFleet },
  rate: number,
  seconds: number,
): Promise<Row> {
  const { pipeline, episodes, bus } = app.app.services
  await client.report() // reset
  const pending = new Map<string, number[]>()
  const published: { vin: string; trigger: string; at: number }[] = []
  const unsubscribe = bus.subscribe((m) => {
    if (m.type !== 'alert') return
    const d = m.data as { vin: string; trigger: string }
    published.push({ vin: d.vin, trigger: d.trigger, at: nowMs() })
  })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let sent = 0
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000) - sent
    for (let i = 0; i < due; i++) {
      const next = await stream.next()
      if (next.done) break
      // The live counters, not `stats`: building that object twice per reading cost the server's
      // event loop (this process) about 4 % of its busy time at 5,000/s.
      const counts = episodes.episodeCounts
      const opened = counts.opened
      const escalated = counts.escalated
      const at = nowMs()
      pipeline.ingest(next.value)
      const vin = next.value.vin
      for (let k = opened; k < counts.opened; k++) push(pending, `${vin}|opened`, at)
      for (let k = escalated; k < counts.escalated; k++) push(pending, `${vin}|escalated`, at)
    }
    sent += Math.max(0, due)
    await sleep(1)
  }
  const offeredMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  await episodes.drain()
  await sleep(500)
  const report = await client.report()
  unsubscribe()
  const server: number[] = []
  const total: number[] = []
  // An alert is timed from the oldest opening or escalation of its vehicle not yet told. Since the
  // storm guard (issue 17), escalations queued behind a run fold into it and a flapping episode's
  // opening may be told to no one: so an alert also settles every earlier request of its key
  // (one-to-one pairing would time each later alert from an ever older reading).
  const settle = (queues: Map<string, number[]>, key: string, at: number): number | undefined => {
    const q = queues.get(key)
    if (!q?.length || q[0]! > at) return undefined
    const first = q[0]!
    while (q.length && q[0]! <= at) q.shift()
    return at - first
  }
  const serverQueues = new Map([...pending].map(([k, v]) => [k, [...v]]))
  for (const p of published) {
    const ms = settle(serverQueues, `${p.vin}|${p.trigger}`, p.at)
    if (ms !== undefined) server.push(ms)
  }
  for (const a of report.alerts) {
    const ms = settle(pending, `${a.vin}|${a.trigger}`, a.at)
    if (ms !== undefined) total.push(ms)
  }
  const s = summarize(total)
  const srv = summarize(server)
  console.log(
    `  ${label.kind} ${label.fleet.label} ${rate}/s: ${s.n} alerts, p50 ${round(s.p50, 1)} p99 ${round(s.p99, 1)} ms`,
  )
  return {
    db: label.kind,
    fleet: label.fleet.label,
    'offered readings/s': rate,
    'achieved readings/s': Math.round((sent / offeredMs) * 1000),
    alerts: s.n,
    'p50 ms': round(s.p50, 1),
    'p95 ms': round(s.p95, 1),
    'p99 ms': round(s.p99, 1),
    'max ms': round(s.max, 1),
    'server p50 / p99 ms (in -> published)': `${round(srv.p50, 1)} / ${round(srv.p99, 1)}`,
    'telemetry msgs received': report.telemetry,
    'server CPU %': Math.round(((cpu.user + cpu.system) / 1000 / offeredMs) * 100),
    'RSS MB': mb(process.memoryUsage().rss),
  }
}

for (const plan of PLAN) {
  const { engine } = await loadEngine(plan.fleet.csv)
  const app = await startBenchApp({ kind: plan.kind, extraVehicles: plan.fleet.extraVehicles, listen: true })
  const token = await loginToken(app.app, 'service@ey.com', 'ey_secure')
  const client = await ClientProcess.start(`${app.base.replace('http', 'ws')}/ws/telemetry?token=${token}`, 1)
  try {
    if (plan.warmUp > 0) {
      const w = await feed(app.app, engine, { limit: plan.warmUp })
      bench.note(
        `${plan.kind} ${plan.fleet.label}: ${w.readings} readings fed unpaced first (${Math.round(w.totalMs / 1000)} s)`,
      )
    }
    const stream = engine.streamData()
    // The warm-up consumed its own stream: skip the same readings in this one, quickly.
    for (let i = 0; i < plan.warmUp; i++) await stream.next()
    for (const { rate, seconds } of plan.windows)
      rows.push(await window(app, client, stream, plan, rate, seconds))
    await stream.return(undefined)
  } finally {
    engine.stop()
    await client.close()
    await app.close()
  }
}

bench.table('Alert latency: reading in -> alert on a WebSocket client', rows)
bench.note(
  'one alert per graph run (an episode opened or escalated); over fewer than 100 alerts, p99 is the maximum',
)
bench.save()
process.exit(0)
