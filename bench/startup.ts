/**
 * 4b. Start to healthy: from starting the server process to its first 200 from /api/health, as
 * `npm start` runs it (config, database, migrations, demo seed, app, listen; the replay starts
 * in the background). Built first (which writes the PGlite snapshot new embedded databases start
 * from); then `node dist/server.js` on in-memory PGlite, the same without the snapshot (initdb, run
 * from a directory that has none), on a fresh PGlite directory, on the same directory again (a
 * restart), on a fresh PostgreSQL database, and the whole `npm start` (npm, the build check, then
 * the server). CPU is the server's own (every thread) when it answered: steadier than the wall
 * time when the machine is shared.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { createBenchDatabase, postgresAvailable } from './lib/db.js'
import { ROOT, SHIPPED_CSV } from './lib/fleet.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'
import { ensureBuild, startServer } from './lib/server.js'
import { summarize } from './lib/stats.js'

const bench = new Bench('startup')
const runs = QUICK ? 2 : 3
const rows: Row[] = []

const t0 = performance.now()
if (!ensureBuild()) {
  bench.note('the build failed: start-up not measured')
  bench.save()
  process.exit(0)
}
bench.note(`build check (npm run build): ${Math.round(performance.now() - t0)} ms`)

async function measure(
  label: string,
  command: string,
  args: string[],
  env: () => Promise<Record<string, string>>,
  cwd = ROOT,
) {
  const times: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < runs; i++) {
    const server = await startServer(command, args, await env(), 30_000, cwd)
    times.push(server.healthyMs)
    if (server.cpuMs !== undefined) cpu.push(server.cpuMs)
    await server.stop()
  }
  const s = summarize(times)
  rows.push({
    start: label,
    runs,
    'median ms': round(s.p50, 0),
    'min ms': round(Math.min(...times), 0),
    'max ms': round(s.max, 0),
    'median CPU ms': cpu.length > 0 ? round(summarize(cpu).p50, 0) : null,
  })
  console.log(`  ${label}: median ${Math.round(s.p50)} ms`)
}

const node = process.execPath
await measure('node dist/server.js, PGlite in memory', node, ['dist/server.js'], async () => ({
  DATABASE_URL: 'memory://',
}))
if (!existsSync(join(ROOT, '.data/cache/pglite-snapshot.json')))
  bench.note('no PGlite snapshot: every row ran initdb')
// The snapshot is looked up relative to the working directory: from an empty one there is none.
const bare = mkdtempSync(join(os.tmpdir(), 'autonoma-bench-cwd-'))
await measure(
  'node dist/server.js, PGlite in memory, no snapshot (initdb)',
  node,
  [join(ROOT, 'dist/server.js')],
  async () => ({ DATABASE_URL: 'memory://', DATASET_PATH: SHIPPED_CSV }),
  bare,
)
rmSync(bare, { recursive: true, force: true })
const dirs: string[] = []
await measure('node dist/server.js, new PGlite directory', node, ['dist/server.js'], async () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'autonoma-bench-pglite-'))
  dirs.push(dir)
  return { DATABASE_URL: dir }
})
const reused = dirs[0]!
await measure(
  'node dist/server.js, PGlite directory again (restart)',
  node,
  ['dist/server.js'],
  async () => ({
    DATABASE_URL: reused,
  }),
)
if (await postgresAvailable()) {
  const databases: Awaited<ReturnType<typeof createBenchDatabase>>[] = []
  try {
    await measure('node dist/server.js, new PostgreSQL database', node, ['dist/server.js'], async () => {
      // An empty database: the server migrates and seeds it.
      const d = await createBenchDatabase('postgres', undefined, { migrate: false })
      databases.push(d)
      return { DATABASE_URL: d.url }
    })
  } finally {
    for (const d of databases) await d.close()
  }
}
// Built again first if another change landed meanwhile, so that npm start only checks.
await measure('npm start, PGlite in memory', 'npm', ['start', '--silent'], async () => {
  ensureBuild()
  return { DATABASE_URL: 'memory://' }
})
for (const dir of dirs) rmSync(dir, { recursive: true, force: true })

bench.table('Start to healthy (first 200 from /api/health)', rows)
bench.save()
process.exit(0)
