import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './fleet.js'
import { type BenchResult, markdownTable, type Row } from './report.js'
import type { RulGroup } from './rul-eval.js'

const START = '<!-- bench:results:start -->'
const END = '<!-- bench:results:end -->'
const RESULTS = join(ROOT, 'bench/results')

function read<T = BenchResult>(name: string): T | undefined {
  const path = join(RESULTS, `${name}.json`)
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined
}

const n = (x: unknown): number => (typeof x === 'number' ? x : Number(x))
const fmt = (x: number, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-'
const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : '**missed**')

interface DetectionFile {
  date: string
  results: {
    fleet: string
    vehicles: number
    readings: number
    faults: number
    detected: number
    episodes: number
    falseEpisodes: unknown[]
    precision: number
    recall: number
    medianLeadTimeHours: number | null
  }[]
}

function targets(): Row[] {
  const rows: Row[] = []
  const pipeline = read('pipeline')
  const throughput = pipeline?.tables[Object.keys(pipeline.tables)[0] ?? ''] ?? []
  const naive = pipeline?.tables['Baseline: the naive design, graph.invoke per reading'] ?? []
  for (const r of throughput) {
    const goal = r.db === 'postgres' ? 50_000 : 25_000
    const perS = n(r['readings/s'])
    const nv = naive.find((x) => x.db === r.db)
    rows.push({
      target: `pipeline, ${r.db}, ${r.fleet}: >= ${fmt(goal)} readings/s`,
      measured:
        `${fmt(perS)}/s` +
        (r['stored/s before the first episode']
          ? `; ${fmt(n(r['stored/s before the first episode']))}/s before the first episode`
          : '') +
        (r['CPU-bound ceiling/s'] === null
          ? ''
          : ` (CPU-bound ceiling ${fmt(n(r['CPU-bound ceiling/s']))}/s)`),
      verdict: verdict(perS >= goal),
    })
    if (nv) {
      const ratio = perS / n(nv['fleet mix, readings/s'])
      rows.push({
        target: `  ... >= 40x graph-per-reading (${r.db})`,
        measured: `${fmt(ratio)}x`,
        verdict: verdict(ratio >= 40),
      })
    }
  }
  rows.push(...intakeTargets(), ...mqttTargets(), ...rangeTargets())
  const latency = read('latency')
  for (const r of Object.values(latency?.tables ?? {})[0] ?? []) {
    if (n(r['offered readings/s']) !== 5000) continue
    rows.push({
      target: `alert latency p99 at 5,000 readings/s (${r.db}, ${r.fleet}) < 50 ms`,
      measured: `${fmt(n(r['p99 ms']), 1)} ms (p50 ${fmt(n(r['p50 ms']), 1)}, ${r.alerts} alerts)`,
      verdict: verdict(n(r['p99 ms']) < 50),
    })
  }
  const fanout = read('fanout')
  const f = (Object.values(fanout?.tables ?? {})[0] ?? []).find(
    (r) => r.clients === 1000 && r['msgs/s per client'] === 10,
  )
  if (f) {
    rows.push({
      target: 'fan-out: 1,000 clients x 10 msgs/s, p99 < 50 ms',
      measured: `${fmt(n(f['delivered msgs/s']))} msgs/s delivered, p99 ${fmt(n(f['p99 ms']), 1)} ms`,
      verdict: verdict(n(f['p99 ms']) < 50 && n(f['delivered msgs/s']) >= 9_500),
    })
  }
  const memory = read('memory')
  const growth = memory?.growth as
    | { from: number; to: number; rssMb: number; rssSpreadMb: number; heapMb: number; heapSpreadMb: number }
    | undefined
  if (growth) {
    rows.push({
      target: `memory flat within 50 MB, ${fmt(growth.from)} -> ${fmt(growth.to)} readings`,
      measured:
        `RSS ${growth.rssMb >= 0 ? '+' : ''}${fmt(growth.rssMb, 1)} MB (spread ${fmt(growth.rssSpreadMb, 1)} MB), ` +
        `heap ${growth.heapMb >= 0 ? '+' : ''}${fmt(growth.heapMb, 1)} MB (spread ${fmt(growth.heapSpreadMb, 1)} MB)`,
      // The target compares the two ends; the spread (native buffers, reserved heap) is shown beside it.
      verdict: verdict(Math.abs(growth.rssMb) <= 50 && growth.heapSpreadMb <= 50),
    })
  }
  const storm = read('storm')
  const sg = storm?.growth as { fromS: number; toS: number; rssMb: number; rssSpreadMb: number } | undefined
  const stop = storm?.stop as { code: number | null; ms: number } | undefined
  if (sg && stop) {
    rows.push({
      target: `alarm storm at no delay: memory flat within 100 MB (${sg.fromS} -> ${sg.toS} s), stop exits 0`,
      measured:
        `RSS ${sg.rssMb >= 0 ? '+' : ''}${fmt(sg.rssMb, 1)} MB (spread ${fmt(sg.rssSpreadMb, 1)} MB), ` +
        `stop ${fmt(stop.ms)} ms, exit ${stop.code}`,
      verdict: verdict(Math.abs(sg.rssMb) <= 100 && stop.code === 0),
    })
  }
  const startup = read('startup')
  for (const r of Object.values(startup?.tables ?? {})[0] ?? []) {
    if (
      !String(r.start).startsWith('node dist/server.js, PGlite in memory') &&
      !String(r.start).includes('PostgreSQL')
    )
      continue
    rows.push({
      target: `start to healthy < 3 s (${r.start})`,
      measured: `${fmt(n(r['median ms']))} ms median`,
      verdict: verdict(n(r['median ms']) < 3000),
    })
  }
  const detection = read<DetectionFile>('detection')
  for (const d of detection?.results ?? []) {
    rows.push({
      target: `detection recall 1.0, precision >= 0.9 (${d.fleet})`,
      measured: `recall ${fmt(d.recall, 3)}, precision ${fmt(d.precision, 3)}`,
      verdict: verdict(d.recall >= 1 && d.precision >= 0.9),
    })
  }
  return rows
}

interface RulFile {
  results: { fleet: string; tunedOn: boolean; firstAlert: RulGroup; escalation: RulGroup }[]
  cost: { microsecondsEach: number }
}

function rulTargets(): Row[] {
  return (read<RulFile>('rul')?.results ?? []).map((r) => {
    const e = r.escalation
    const ok = e.medianApe !== null && e.coverage !== null && e.medianApe < 0.3 && e.coverage >= 0.8
    return {
      target: `RUL at escalation: median error < 30 %, 80 % interval covers >= 80 % (${r.fleet}${r.tunedOn ? ', tuned on' : ''})`,
      measured: `${fmt((e.medianApe ?? Number.NaN) * 100, 1)} %, coverage ${fmt((e.coverage ?? Number.NaN) * 100, 1)} %`,
      verdict: verdict(e.medianApe === null || e.coverage === null ? null : ok),
    }
  })
}

function rulTable(): Row[] {
  const pct = (x: number | null) => (x === null ? '-' : `${fmt(x * 100, 1)} %`)
  return (read<RulFile>('rul')?.results ?? []).flatMap((r) =>
    (['firstAlert', 'escalation'] as const).map((at) => ({
      fleet: r.fleet,
      at: at === 'firstAlert' ? 'first alert' : 'escalation',
      events: r[at].events,
      unknown: r[at].unknown,
      scored: r[at].scored,
      'median APE': pct(r[at].medianApe),
      '80 % coverage': pct(r[at].coverage),
      censored: r[at].censored,
    })),
  )
}

/** HTTP intake: the best connection count per database against 30,000 readings/s. */
function intakeTargets(): Row[] {
  const rows: Row[] = []
  const runs = Object.values(read('http-intake')?.tables ?? {})[0] ?? []
  for (const db of new Set(runs.map((r) => r.db))) {
    const top = runs
      .filter((r) => r.db === db)
      .reduce((a, b) => (n(b['stored readings/s']) > n(a['stored readings/s']) ? b : a))
    rows.push({
      target: `HTTP intake, ${db}, batches of 1,000: >= 30,000 readings/s`,
      measured:
        `${fmt(n(top['stored readings/s']))}/s stored with ${top.connections} connections ` +
        `(batch p50 ${fmt(n(top['batch p50 ms']), 1)} ms, p99 ${fmt(n(top['batch p99 ms']), 1)} ms)`,
      verdict: verdict(n(top['stored readings/s']) >= 30_000),
    })
  }
  return rows
}

/** MQTT end to end: the best acknowledged rate per database against 20,000 readings/s, PUBACK p99 < 100 ms. */
function mqttTargets(): Row[] {
  const runs = Object.values(read('mqtt')?.tables ?? {})[0] ?? []
  return [...new Set(runs.map((r) => r.db))].map((db) => {
    const top = runs
      .filter((r) => r.db === db)
      .reduce((a, b) => (n(b['acknowledged readings/s']) > n(a['acknowledged readings/s']) ? b : a))
    return {
      target: `MQTT end to end, ${db}, 1,000 units at QoS 1: >= 20,000 readings/s, PUBACK p99 < 100 ms`,
      measured:
        `${fmt(n(top['acknowledged readings/s']))}/s acknowledged of ${fmt(n(top['offered readings/s']))}/s offered ` +
        `(PUBACK p99 ${fmt(n(top['PUBACK p99 ms']), 1)} ms, verified: ${top.verified})`,
      verdict: verdict(n(top['acknowledged readings/s']) >= 20_000),
    }
  })
}

/** Range reads from the rollups: p99 under 50 ms through the API. */
function rangeTargets(): Row[] {
  const range = read('range')
  const load = Object.values(range?.tables ?? {})[0] ?? []
  const queries = Object.values(range?.tables ?? {})[1] ?? []
  return queries
    .filter((r) => String(r.query).includes('month'))
    .map((r) => ({
      target: `range, ${r.db} (${fmt(n(load.find((l) => l.db === r.db)?.['raw rows']))} rows), ${r.query}: p99 < 50 ms`,
      measured: `API p99 ${fmt(n(r['API p99 ms']), 1)} ms (p50 ${fmt(n(r['API p50 ms']), 1)}; repository p99 ${fmt(n(r['repository p99 ms']), 1)} ms)`,
      verdict: verdict(n(r['API p99 ms']) < 50),
    }))
}

function detectionTable(): Row[] {
  return (read<DetectionFile>('detection')?.results ?? []).map((d) => ({
    fleet: d.fleet,
    vehicles: d.vehicles,
    readings: d.readings,
    'injected faults': d.faults,
    detected: d.detected,
    episodes: d.episodes,
    'false episodes': d.falseEpisodes.length,
    precision: d.precision,
    recall: d.recall,
    'median lead time h': d.medianLeadTimeHours,
  }))
}

/** The generated part of BENCHMARKS.md: the targets, then every table and note of every result file. */
export function renderResults(): string {
  const parts: string[] = []
  const first = read('pipeline') ?? read('latency')
  if (first) {
    const m = first.machine
    parts.push(
      `Measured on ${m.cpu}, ${m.cores} CPUs (${m.hypervisor ?? 'bare metal'}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}, ${m.date.slice(0, 10)}.`,
    )
  }
  parts.push('### Against the targets', markdownTable([...targets(), ...rulTargets()]))
  const sections: [string, string][] = [
    ['pipeline', '1. Pipeline throughput'],
    ['storage', '1b. What a stored reading costs the database'],
    ['http-intake', '1c. HTTP device intake'],
    ['range', '1d. Range queries'],
    ['mqtt', '1e. End to end over MQTT'],
    ['latency', '2. Alert latency'],
    ['fanout', '3. Fan-out'],
    ['memory', '4. Memory'],
    ['startup', '4. Start to healthy'],
    ['api', '5. API'],
    ['audit', '5b. What the audit log costs'],
    ['storm', '8. Alarm storm (bench/storm.ts)'],
    ['cluster', '9. Past one process: NATS JetStream workers (bench/cluster.ts)'],
  ]
  for (const [name, title] of sections) {
    const r = read(name)
    if (!r) continue
    parts.push(
      `### ${title}`,
      `_${r.startedAt} - ${r.finishedAt}, load ${r.machine.loadavg.join(' ')} at start, ${r.loadavgAtEnd.join(' ')} at end_`,
    )
    for (const [t, rows] of Object.entries(r.tables)) parts.push(`**${t}**`, markdownTable(rows))
    if (r.notes.length) parts.push(r.notes.map((x) => `- ${x}`).join('\n'))
  }
  const detection = detectionTable()
  if (detection.length) parts.push('### 6. Detection quality (bench/detection.ts)', markdownTable(detection))
  const rul = rulTable()
  if (rul.length) parts.push('### 7. Remaining useful life (bench/rul.ts)', markdownTable(rul))
  return parts.join('\n\n')
}

/** Rewrites the results section of BENCHMARKS.md between its markers; false when it has none. */
export function updateBenchmarksMd(): boolean {
  const path = join(ROOT, 'BENCHMARKS.md')
  if (!existsSync(path)) return false
  const text = readFileSync(path, 'utf8')
  const a = text.indexOf(START)
  const b = text.indexOf(END)
  if (a < 0 || b < a) return false
  writeFileSync(path, `${text.slice(0, a + START.length)}\n\n${renderResults()}\n\n${text.slice(b)}`)
  // In the repository's own format (aligned tables), so that `npm run lint` stays clean.
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/@biomejs/biome/bin/biome'), 'format', '--write', path],
      {
        stdio: 'ignore',
      },
    )
  } catch {
    // Left unformatted: `npx biome format --write BENCHMARKS.md` fixes it.
  }
  return true
}
