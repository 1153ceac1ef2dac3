/**
 * 8. Alarm storm: the server process (`src/server.ts` through tsx, so no build) replays the
 * public-layout storm file (test/fixtures/public-storm.csv: independent draws, 17 % of rows out of
 * range, an episode raised every sixth reading) with STREAM_DELAY_SECONDS=0 for `--minutes`
 * (default 10, quick 2), on a PostgreSQL database of its own (PGlite in memory without the
 * server, whose telemetry would then grow the process). Every 15 s: the process's RSS, readings
 * replayed, and the episode manager's counters from /api/health. At the end: the owner's agent
 * messages per hour, bookings sent, then SIGTERM: how long the stop took and its exit code.
 * Targets (issue 17): RSS flat within 100 MB, a handful of owner messages per vehicle per hour.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { createBenchDatabase, postgresAvailable } from './lib/db.js'
import { ROOT } from './lib/fleet.js'
import { Bench, QUICK, type Row } from './lib/report.js'
import { startServer } from './lib/server.js'

const bench = new Bench('storm')
const arg = process.argv.find((a) => a.startsWith('--minutes='))
const minutes = arg ? Number(arg.slice('--minutes='.length)) : QUICK ? 2 : 10
const sampleMs = 15_000
const kind = (await postgresAvailable()) ? 'postgres' : 'pglite'
const db = kind === 'postgres' ? await createBenchDatabase('postgres', undefined, { migrate: false }) : null
if (db) await db.handle.close()

const server = await startServer(
  process.execPath,
  ['--import', 'tsx', 'src/server.ts'],
  {
    NODE_ENV: 'development',
    SEED_DEMO: 'true',
    DATABASE_URL: db?.url ?? 'memory://',
    DATASET_PATH: join(ROOT, 'test/fixtures/public-storm.csv'),
    STREAM_DELAY_SECONDS: '0',
    MQTT_ENABLED: 'false',
  },
  120_000,
)

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
  return Math.round(kb / 102.4) / 10
}

type Components = Record<string, Record<string, number>>
async function health(): Promise<Components> {
  const res = await fetch(`${server.base}/api/health`)
  return ((await res.json()) as { components: Components }).components
}

const rows: Row[] = []
const t0 = performance.now()
const pid = server.child.pid!
const maxima = { queuedRuns: 0, queuedOps: 0 }
try {
  for (;;) {
    const elapsed = performance.now() - t0
    const c = await health()
    const a = c.agents ?? {}
    maxima.queuedRuns = Math.max(maxima.queuedRuns, a.queuedRuns ?? 0)
    maxima.queuedOps = Math.max(maxima.queuedOps, a.queuedOps ?? 0)
    rows.push({
      s: Math.round(elapsed / 1000),
      'RSS MB': rssMb(pid),
      readings: c.stream?.emitted ?? null,
      'queued runs': a.queuedRuns ?? null,
      'queued ops': a.queuedOps ?? null,
      'episodes opened': a.opened ?? null,
      'agent runs': a.graphRuns ?? null,
      'quiet runs': a.quietRuns ?? null,
      flapping: a.flapping ?? null,
      digests: a.digests ?? null,
    })
    console.log(`  ${JSON.stringify(rows[rows.length - 1])}`)
    if (elapsed >= minutes * 60_000) break
    await new Promise((r) => setTimeout(r, sampleMs))
  }
  const wallHours = (performance.now() - t0) / 3_600_000
  if (db) {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const chats = await client.query(
      `select v.vin, count(*)::int as n, count(*) filter (where c.intent = 'digest')::int as digests
         from chat_messages c join vehicles v on v.id = c.vehicle_id
        where c.sender = 'agent' group by v.vin`,
    )
    const bookings = await client.query(
      `select count(*)::int as n from service_bookings where source = 'agent'`,
    )
    await client.end()
    for (const r of chats.rows as { vin: string; n: number; digests: number }[])
      bench.note(
        `${r.vin}: ${r.n} agent messages to the owner (${r.digests} digests) in ${Math.round(wallHours * 60)} min of storm`,
      )
    bench.set('ownerMessages', chats.rows)
    bench.set('agentBookings', bookings.rows[0]?.n ?? 0)
  }
} finally {
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    const s0 = performance.now()
    server.child.once('exit', (code) => resolve({ code, ms: performance.now() - s0 }))
  })
  server.child.kill('SIGTERM')
  const stop = await exited
  bench.set('stop', stop)
  bench.note(`SIGTERM mid-storm: exited with code ${stop.code} after ${Math.round(stop.ms)} ms`)
  await db?.close()
}

// The slope: RSS from the first minute on (the live state fills in the first seconds).
const settled = rows.filter((r) => Number(r.s) >= 60)
if (settled.length > 1) {
  const rss = settled.map((r) => Number(r['RSS MB']))
  const growth = {
    fromS: Number(settled[0]!.s),
    toS: Number(settled[settled.length - 1]!.s),
    rssMb: Math.round((rss[rss.length - 1]! - rss[0]!) * 10) / 10,
    rssSpreadMb: Math.round((Math.max(...rss) - Math.min(...rss)) * 10) / 10,
    maxQueuedRuns: maxima.queuedRuns,
    maxQueuedOps: maxima.queuedOps,
  }
  bench.set('growth', growth)
  bench.note(
    `${growth.fromS} -> ${growth.toS} s: RSS ${growth.rssMb} MB (max - min ${growth.rssSpreadMb} MB); ` +
      `queued runs at most ${growth.maxQueuedRuns}, queued row writes at most ${growth.maxQueuedOps}`,
  )
}
bench.table(`Alarm storm at no delay for ${minutes} min (${kind})`, rows)
bench.save()
process.exit(0)
