/**
 * Before and after in the same run: the pipeline and the alert latency of this checkout against an
 * earlier commit (by default the last one before the security and UEBA issue, #16), alternated
 * base, head, base, head so that the machine's drift falls on both alike. Each side runs its own
 * bench scripts from a detached worktree, so a bench that changed since is measured as it was.
 *   --base=<commit>     the earlier commit (default BASE below)
 *   --rounds=<n>        pipeline rounds per side (default 3; latency runs once per side)
 *   --latency-rounds=<n> latency runs per side, alternated too (default 1)
 *   --no-latency        only the pipeline
 * Writes bench/results/same-run.json; prints the medians and the change in per cent.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './lib/fleet.js'
import { machineInfo } from './lib/machine.js'

/** Main just before the first merge of issue 16 (the audit chain): issue 20's storage and 17's RUL in. */
const BASE = 'a56bd59'
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
const base = execFileSync('git', ['rev-parse', '--short', arg('base') ?? BASE], { cwd: ROOT })
  .toString()
  .trim()
const rounds = Number(arg('rounds') ?? 3)
const latency = !process.argv.includes('--no-latency')
const latencyRounds = Number(arg('latency-rounds') ?? 1)

const baseDir = join(tmpdir(), `autonoma-base-${base}`)
if (!existsSync(baseDir)) {
  execFileSync('git', ['worktree', 'add', '--detach', baseDir, base], { cwd: ROOT, stdio: 'inherit' })
}
// Some old commits carry a stray node_modules symlink of their own: point it at this checkout's.
rmSync(join(baseDir, 'node_modules'), { recursive: false, force: true })
symlinkSync(join(ROOT, 'node_modules'), join(baseDir, 'node_modules'))

type Row = Record<string, unknown>
function runBench(dir: string, script: string, args: string[]): Record<string, Row[]> {
  const r = spawnSync('npx', ['tsx', `bench/${script}.ts`, ...args], { cwd: dir, stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`${script} failed in ${dir} (exit ${r.status})`)
  return JSON.parse(readFileSync(join(dir, 'bench', 'results', `${script}.json`), 'utf8')).tables
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
}
const PIPELINE_TABLE =
  'Whole pipeline (sustained: first reading in to last row stored and last agent run done)'
const CASES = ['postgres:shipped', 'postgres:generated', 'pglite:shipped']
const pipeline: Record<string, { base: Row[]; head: Row[] }> = {}
for (const c of CASES) pipeline[c] = { base: [], head: [] }

for (let i = 0; i < rounds; i++) {
  for (const c of CASES) {
    for (const [side, dir] of [
      ['base', baseDir],
      ['head', ROOT],
    ] as const) {
      const tables = runBench(dir, 'pipeline', [`--only=${c}`, '--no-baselines'])
      const row = tables[PIPELINE_TABLE]?.[0]
      if (row) pipeline[c]?.[side].push(row)
    }
  }
}

// Rows per side and round; each latency row is one (db, fleet, offered rate) window.
const latencyRuns: { base: Row[][]; head: Row[][] } = { base: [], head: [] }
for (let i = 0; latency && i < latencyRounds; i++) {
  latencyRuns.base.push(Object.values(runBench(baseDir, 'latency', []))[0] ?? [])
  latencyRuns.head.push(Object.values(runBench(ROOT, 'latency', []))[0] ?? [])
}

const pct = (b: number, h: number) => Math.round(((h - b) / b) * 1000) / 10
const summary: Row[] = []
for (const [c, { base: b, head: h }] of Object.entries(pipeline)) {
  for (const metric of ['readings/s', 'Node CPU µs/reading', 'PG CPU µs/reading']) {
    const bs = b.map((r) => r[metric]).filter((v): v is number => typeof v === 'number')
    const hs = h.map((r) => r[metric]).filter((v): v is number => typeof v === 'number')
    if (!bs.length || !hs.length) continue
    summary.push({
      case: c,
      metric,
      base: median(bs),
      head: median(hs),
      'change %': pct(median(bs), median(hs)),
      runs: `${bs.join(', ')} | ${hs.join(', ')}`,
    })
  }
}
for (const [i, hr] of (latencyRuns.head[0] ?? []).entries()) {
  for (const metric of ['p50 ms', 'p99 ms']) {
    const pick = (runs: Row[][]) =>
      runs.map((rows) => rows[i]?.[metric]).filter((v): v is number => typeof v === 'number')
    const bs = pick(latencyRuns.base)
    const hs = pick(latencyRuns.head)
    if (!bs.length || !hs.length) continue
    const alerts = (runs: Row[][]) => runs.map((rows) => rows[i]?.alerts).join(', ')
    summary.push({
      case: `latency ${hr.db} ${hr.fleet} @${hr['offered readings/s']}/s`,
      metric,
      base: median(bs),
      head: median(hs),
      'change %': pct(median(bs), median(hs)),
      runs: `${bs.join(', ')} | ${hs.join(', ')} (alerts ${alerts(latencyRuns.base)} | ${alerts(latencyRuns.head)})`,
    })
  }
}
console.table(summary)
writeFileSync(
  join(ROOT, 'bench', 'results', 'same-run.json'),
  `${JSON.stringify({ name: 'same-run', base, machine: machineInfo(), rounds, summary, pipeline, latency: latencyRuns }, null, 2)}\n`,
)
if (process.argv.includes('--clean')) {
  execFileSync('git', ['worktree', 'remove', '--force', baseDir], { cwd: ROOT })
  rmSync(baseDir, { recursive: true, force: true })
}
