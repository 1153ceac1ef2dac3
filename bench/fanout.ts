import { STAFF } from '../src/domain.js'
/**
 * 3. Fan-out: 10, 100 and 1,000 WebSocket clients, in another process, subscribed to the fleet as
 * staff. Telemetry messages (one reading each, about 0.8 KB of JSON) are published on the bus at
 * a paced rate, stamped with the time of publishing; every client receives every message. Per
 * step: delivered messages/s, latency percentiles, what the hub dropped or cut off, and the
 * server's CPU and memory; the rates go past saturation on purpose.
 */
import { startBenchApp } from './lib/app.js'
import { materialize } from './lib/baselines.js'
import { ClientProcess, histogramOf } from './lib/clients.js'
import { postgresAvailable } from './lib/db.js'
import { loadEngine } from './lib/feed.js'
import { shippedFleet } from './lib/fleet.js'
import { cycle, offer } from './lib/pace.js'
import { Bench, mb, QUICK, type Row, round } from './lib/report.js'
import { LatencyHistogram, sleep } from './lib/stats.js'

/**
 * Past saturation of a client: 10 clients keep reading while 10 others stop. The stopped ones'
 * sockets fill (512 KB), then the hub queues their telemetry up to 500 messages and drops the
 * oldest (counted); alerts are never dropped, so 6,000 of them (past the 5,000 bound) cut a
 * stopped client off. The clients that read must not notice, and the server's memory stays bounded.
 */
async function stalledClients(): Promise<Row> {
  const reading = await ClientProcess.start(url, 10)
  const stopped = await ClientProcess.start(url, 10)
  await sleep(300)
  await stopped.setPaused(true)
  await reading.report()
  const hub0 = app.app.services.hub.stats
  const rss0 = process.memoryUsage().rss
  const sent = await offer(next, publishTelemetry, 5000, STEP_MS * 2)
  for (let i = 0; i < 6000; i++) {
    app.app.services.bus.publish({
      type: 'alert',
      data: { i, vin: pool[0]!.vin } as never,
      vin: pool[0]!.vin,
      ownerId: null,
      roles: STAFF,
    })
  }
  await sleep(1000)
  const window = await reading.report()
  const hub1 = app.app.services.hub.stats
  const rss1 = process.memoryUsage().rss
  await stopped.setPaused(false)
  await sleep(1000)
  const after = await stopped.report()
  const health = await fetch(`${app.base}/api/health`)
  await health.arrayBuffer()
  await Promise.all([reading.close(), stopped.close()])
  return {
    'published msgs/s': Math.round((sent.sent / sent.ms) * 1000),
    'reading clients: msgs received': window.telemetry,
    'reading clients: alerts received': window.other.alert ?? 0,
    'reading clients: p99 ms': round(histogramOf(window).percentile(99), 1),
    'stopped clients: telemetry received': after.telemetry,
    'hub dropped telemetry': hub1.droppedTelemetry - hub0.droppedTelemetry,
    'stopped clients cut off': hub1.slowClientsClosed - hub0.slowClientsClosed,
    'server RSS MB before / after': `${mb(rss0)} / ${mb(rss1)}`,
    '/api/health after': health.status,
  }
}

const bench = new Bench('fanout')
const kind = (await postgresAvailable()) ? 'postgres' : 'pglite'
const STEP_MS = QUICK ? 2000 : 3000
/** Messages per second per client, for each client count. */
const PLAN: Record<number, number[]> = QUICK
  ? { 10: [100, 10_000], 100: [10, 1000], 1000: [10, 100, 300] }
  : {
      10: [10, 1000, 5000, 15_000, 30_000],
      100: [10, 100, 1000, 2000, 4000],
      1000: [1, 10, 50, 100, 200, 400],
    }

const { engine } = await loadEngine(shippedFleet().csv)
const pool = await materialize(engine, 2000)
engine.stop()
const next = cycle(pool)

const app = await startBenchApp({ kind, listen: true })
const token = await (await import('./lib/app.js')).loginToken(app.app, 'service@ey.com', 'ey_secure')
const owners = new Map((await app.app.services.repos.vehicles.listAll()).map((v) => [v.vin, v.owner_id]))
const url = `${app.base.replace('http', 'ws')}/ws/telemetry?token=${token}`
const rows: Row[] = []
const stalledRows: Row[] = []
const publishTelemetry = (r: (typeof pool)[number]) =>
  app.app.services.bus.publish({
    type: 'telemetry',
    data: { ...r, timestamp: new Date().toISOString() },
    vin: r.vin,
    ownerId: owners.get(r.vin) ?? null,
    roles: STAFF,
  })

try {
  for (const [clientsText, rates] of Object.entries(PLAN)) {
    const clients = Number(clientsText)
    const proc = await ClientProcess.start(url, clients)
    await sleep(300)
    for (const perClient of rates) {
      await proc.report() // reset the counters
      const hub0 = app.app.services.hub.stats
      const cpu0 = process.cpuUsage()
      const sent = await offer(next, publishTelemetry, perClient, STEP_MS)
      const cpu = process.cpuUsage(cpu0)
      const rss = process.memoryUsage().rss
      const inWindow = await proc.report()
      await sleep(1500) // what was still queued arrives, late
      const tail = await proc.report()
      const hub1 = app.app.services.hub.stats
      const h = new LatencyHistogram()
      h.merge(histogramOf(inWindow).toSparse())
      h.merge(histogramOf(tail).toSparse())
      const offered = sent.sent * clients
      const received = inWindow.telemetry + tail.telemetry
      const row: Row = {
        clients,
        'msgs/s per client': perClient,
        'target msgs/s': perClient * clients,
        'published msgs/s': Math.round((offered / sent.ms) * 1000),
        'delivered msgs/s': Math.round((inWindow.telemetry / sent.ms) * 1000),
        'p50 ms': round(h.percentile(50), 1),
        'p99 ms': round(h.percentile(99), 1),
        'max ms': round(h.maxMs, 0),
        'lost %': round(offered ? ((offered - received) / offered) * 100 : 0, 1),
        'hub dropped': hub1.droppedTelemetry - hub0.droppedTelemetry,
        'clients cut off': hub1.slowClientsClosed - hub0.slowClientsClosed,
        'open after': tail.open,
        'server CPU %': Math.round(((cpu.user + cpu.system) / 1000 / sent.ms) * 100),
        'server µs/delivery': offered ? round((cpu.user + cpu.system) / offered, 2) : null,
        'server RSS MB': mb(rss),
      }
      rows.push(row)
      console.log(
        `  ${clients} clients x ${perClient}/s: ${row['delivered msgs/s']} msgs/s, p99 ${row['p99 ms']} ms`,
      )
    }
    await proc.close()
    await sleep(500)
  }
  stalledRows.push(await stalledClients())
} finally {
  await app.close()
}

bench.table('Fan-out: telemetry to staff clients in another process', rows)
bench.table(
  'Past a client: 10 clients read, 10 stopped reading (5,000 msgs/s, then 6,000 alerts)',
  stalledRows,
)
const target = rows.find((r) => r.clients === 1000 && r['msgs/s per client'] === 10)
if (target) {
  bench.note(
    `target (1,000 clients x 10 msgs/s, p99 < 50 ms): delivered ${target['delivered msgs/s']} msgs/s, p99 ${target['p99 ms']} ms`,
  )
}
const peak = rows.reduce((a, r) => Math.max(a, Number(r['delivered msgs/s'])), 0)
bench.note(
  `peak delivered: ${peak} msgs/s (server and clients share the machine's ${bench.machine.cores} CPUs)`,
)
bench.save()
process.exit(0)
