/**
 * `npm run bench`: every benchmark in turn, each in its own process, then the results section of
 * BENCHMARKS.md is rewritten from bench/results/*.json.
 *   --quick          a smaller version of each (a few minutes; results go to the temp directory)
 *   --only=a,b       just these (the names in ALL below)
 *   --wait-quiet     first wait (up to 10 minutes) for the machine's 1-minute load to drop below 1
 *   --report         only rewrite BENCHMARKS.md from the results already in bench/results/
 * Load tests only ever target 127.0.0.1, with bounded counts and durations.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { ROOT } from './lib/fleet.js'
import { machineInfo } from './lib/machine.js'
import { updateBenchmarksMd } from './lib/markdown.js'
import { QUICK } from './lib/report.js'
import { sleep } from './lib/stats.js'

if (process.argv.includes('--report')) {
  console.log(updateBenchmarksMd() ? 'BENCHMARKS.md rewritten' : 'BENCHMARKS.md has no results markers')
  process.exit(0)
}

const ALL = [
  'pipeline',
  'storage',
  'http-intake',
  'range',
  'mqtt',
  'latency',
  'fanout',
  'memory',
  'startup',
  'api',
  'detection',
  'rul',
  'forecast',
  'audit',
  'ueba',
  'storm',
  'cluster',
]
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
const names = ALL.filter((n) => !only || only.includes(n))

if (process.argv.includes('--wait-quiet')) {
  const until = Date.now() + 10 * 60_000
  while (os.loadavg()[0]! >= 1 && Date.now() < until) {
    console.log(`waiting for a quiet machine (load ${os.loadavg()[0]!.toFixed(2)})`)
    await sleep(15_000)
  }
}

const m = machineInfo()
console.log(
  `Autonoma benchmarks${QUICK ? ' (quick)' : ''}: ${m.cpu}, ${m.cores} CPUs, ${m.memoryGb} GB, node ${m.node}`,
)
console.log(`${m.platform}; load ${m.loadavg.join(' ')}; ${m.date}`)

const summary: { name: string; seconds: number; status: string }[] = []
const started = performance.now()
for (const name of names) {
  const script = join(ROOT, 'bench', `${name}.ts`)
  if (!existsSync(script)) {
    summary.push({ name, seconds: 0, status: 'missing' })
    continue
  }
  // detection.ts, rul.ts and forecast.ts take their own options (and none for a quick run: they are quick).
  const args = ['detection', 'rul', 'forecast'].includes(name) || !QUICK ? [] : ['--quick']
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: 'inherit' })
  summary.push({
    name,
    seconds: Math.round((performance.now() - t0) / 1000),
    status: r.status === 0 ? 'ok' : `failed (${r.status ?? r.signal})`,
  })
}

console.log('\n== summary')
for (const s of summary) console.log(`  ${s.name.padEnd(10)} ${String(s.seconds).padStart(4)} s  ${s.status}`)
console.log(`  total      ${Math.round((performance.now() - started) / 1000)} s`)
if (!QUICK) {
  const written = updateBenchmarksMd()
  console.log(
    written
      ? `  BENCHMARKS.md results section rewritten from bench/results/`
      : '  BENCHMARKS.md has no results markers: left alone',
  )
}
process.exit(summary.some((s) => s.status.startsWith('failed')) ? 1 : 0)
