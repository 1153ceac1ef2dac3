/**
 * 4a. Memory: RSS (and V8 heap after a full GC) as the pipeline takes 1,000,000 readings of the
 * 1,000-vehicle fleet with no delay (PostgreSQL, so that the database's memory is not in this
 * process; PGlite in a temp directory when the server is missing). The service keeps a bounded
 * live state per vehicle (the last 240 readings, the analysis baselines, open episodes), so
 * memory should rise while that state fills (240 readings x 1,000 vehicles) and then stay flat.
 * Each sample is taken once the telemetry writer has caught up, after a full GC.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBenchApp } from './lib/app.js'
import { postgresAvailable } from './lib/db.js'
import { feed, loadEngine, settle } from './lib/feed.js'
import { generatedFleet } from './lib/fleet.js'
import { Bench, mb, QUICK, type Row } from './lib/report.js'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) {
  // Re-run with --expose-gc so that heap figures are after a full collection.
  const self = fileURLToPath(import.meta.url)
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, ...process.argv.slice(2)], {
    stdio: 'inherit',
  })
  process.exit(r.status ?? 1)
}

const bench = new Bench('memory')
const kind = (await postgresAvailable()) ? 'postgres' : 'pglite'
const total = QUICK ? 300_000 : 1_000_000
const step = 100_000
const fleet = generatedFleet(1000, 4)
const dataDir = kind === 'pglite' ? mkdtempSync(join(os.tmpdir(), 'autonoma-bench-mem-')) : undefined
const { engine } = await loadEngine(fleet.csv)
const app = await startBenchApp({ kind, extraVehicles: fleet.extraVehicles, dataDir })
const rows: Row[] = []

/** After the writer has caught up (its backlog is transient) and a full GC. */
async function sample(readings: number): Promise<void> {
  await settle(app.app)
  gc!()
  const m = process.memoryUsage()
  rows.push({
    readings,
    'RSS MB': mb(m.rss),
    'heap used MB': mb(m.heapUsed),
    'heap total MB': mb(m.heapTotal),
    'external MB': mb(m.external),
  })
  console.log(`  ${readings}: RSS ${mb(m.rss)} MB, heap ${mb(m.heapUsed)} MB`)
}

try {
  await sample(0)
  let nextSample = step
  const t0 = performance.now()
  const r = await feed(app.app, engine, {
    limit: total,
    onProgress: async (n) => {
      if (n >= nextSample) {
        nextSample += step
        await sample(Math.round(n / 1000) * 1000)
      }
    },
  })
  await sample(r.readings)
  bench.note(`${r.readings} readings on ${kind} in ${Math.round((performance.now() - t0) / 1000)} s`)
} finally {
  engine.stop()
  await app.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}

// From 100k readings on: the spread of RSS and of the heap (flat means a small spread, no trend).
const after = rows.filter((r) => Number(r.readings) >= step)
const spread = (key: string) => {
  const values = after.map((r) => Number(r[key]))
  return Math.round((Math.max(...values) - Math.min(...values)) * 10) / 10
}
if (after.length > 1) {
  const first = after[0]!
  const last = after[after.length - 1]!
  const growth = {
    from: Number(first.readings),
    to: Number(last.readings),
    rssMb: Math.round((Number(last['RSS MB']) - Number(first['RSS MB'])) * 10) / 10,
    rssSpreadMb: spread('RSS MB'),
    heapMb: Math.round((Number(last['heap used MB']) - Number(first['heap used MB'])) * 10) / 10,
    heapSpreadMb: spread('heap used MB'),
  }
  bench.set('growth', growth)
  bench.note(
    `${growth.from} -> ${growth.to} readings: RSS ${growth.rssMb} MB (max - min ${growth.rssSpreadMb} MB), ` +
      `heap after GC ${growth.heapMb} MB (max - min ${growth.heapSpreadMb} MB)`,
  )
}
bench.table(
  `Memory while the pipeline takes ${total.toLocaleString('en-US')} readings (1,000 vehicles, ${kind})`,
  rows,
)
bench.save()
process.exit(0)
