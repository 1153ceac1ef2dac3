/**
 * Remaining-useful-life quality against the injected faults: at each episode's first alert and at
 * each escalation, the estimate (median and 80 % interval, see src/agents/detection/rul.ts) against
 * the time the fault's signal actually reached the estimate's level. The shipped fleet (seed 42) is
 * the one the estimator was tuned on; the generated seeds are held out. Also the cost of one estimate.
 * Usage: npx tsx bench/rul.ts [--seeds 7,11] [--days D]
 * Prints a table and writes bench/results/rul.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DataAnalysisAgent } from '../src/agents/detection/data-agent.js'
import type { TelemetryReading } from '../src/schemas/telemetry.js'
import { generateFleet } from '../src/simulation/fleet-generator.js'
import { StreamEngine } from '../src/simulation/stream-engine.js'
import { fleetRowToReading, type GroundTruthFault, loadGroundTruth } from './lib/detection-eval.js'
import { evaluateRul, type RulGroup, type RulPoint } from './lib/rul-eval.js'

const { values } = parseArgs({
  options: { seeds: { type: 'string', default: '7,11' }, days: { type: 'string', default: '30' } },
})
const seeds = values.seeds.split(',').map(Number)
const days = Number(values.days)
if (seeds.some((s) => !Number.isInteger(s)) || !Number.isInteger(days) || days < 1) {
  console.error('usage: npx tsx bench/rul.ts [--seeds 7,11] [--days D]')
  process.exit(2)
}

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url))

interface Fleet {
  name: string
  tuned: boolean
  readings: TelemetryReading[]
  faults: GroundTruthFault[]
}

async function shipped(): Promise<Fleet> {
  const engine = new StreamEngine(path('../data/fleet_15min.csv'), { delaySeconds: 0, loop: false })
  const readings: TelemetryReading[] = []
  for await (const reading of engine.streamData()) readings.push(reading)
  const faults = loadGroundTruth(path('../data/fleet_faults.json'))
  return { name: 'shipped (seed 42)', tuned: true, readings, faults }
}

function generated(seed: number): Fleet {
  const { rows, faults } = generateFleet({ seed, days })
  return {
    name: `generated (seed ${seed}, ${days} d)`,
    tuned: false,
    readings: rows.map(fleetRowToReading),
    faults,
  }
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} %`)
const hours = (d: number | null) => (d === null ? '-' : `${(d * 24).toFixed(1)} h`)

function point(p: RulPoint) {
  return {
    fault: p.faultId,
    kind: p.kind,
    event: p.event,
    severity: p.severity,
    at: p.at,
    method: p.estimate.rul_method,
    limit: p.estimate.rul_limit,
    predictedHours: p.estimate.rul_days === null ? null : +(p.estimate.rul_days * 24).toFixed(2),
    intervalHours:
      p.estimate.rul_low_days === null || p.estimate.rul_high_days === null
        ? null
        : [+(p.estimate.rul_low_days * 24).toFixed(2), +(p.estimate.rul_high_days * 24).toFixed(2)],
    actualHours: p.actualDays === null ? null : +(p.actualDays * 24).toFixed(2),
    censoredAfterHours: p.censoredAfterDays === null ? null : +(p.censoredAfterDays * 24).toFixed(2),
    ape: p.ape === null ? null : +p.ape.toFixed(3),
    covered: p.covered,
  }
}

/** Microseconds per estimate on a full 240-reading ring (what an opening or escalation costs). */
function estimateCost(readings: TelemetryReading[]) {
  const agent = new DataAnalysisAgent()
  const vin = readings[0]!.vin
  const ring = readings.filter((r) => r.vin === vin).slice(0, 240)
  const n = 2000
  const started = performance.now()
  for (let i = 0; i < n; i++) agent.estimateRul(i % 2 === 0 ? 'battery_thermal' : 'brake_wear', ring)
  return {
    ringReadings: ring.length,
    estimates: n,
    microsecondsEach: Math.round(((performance.now() - started) / n) * 1000),
  }
}

const fleets = [await shipped(), ...seeds.map(generated)]
const results = fleets.map((fleet) => {
  const report = evaluateRul(fleet.readings, fleet.faults)
  return {
    fleet: fleet.name,
    tunedOn: fleet.tuned,
    faults: fleet.faults.length,
    firstAlert: report.firstAlert,
    escalation: report.escalation,
    all: report.all,
    points: report.points.map(point),
  }
})
const cost = estimateCost(fleets[0]!.readings)

const row = (name: string, label: string, g: RulGroup) => [
  name,
  label,
  g.events,
  g.estimated,
  g.unknown,
  g.scored,
  pct(g.medianApe),
  pct(g.coverage),
  g.censored,
  g.crossed,
]
const head = [
  'fleet',
  'at',
  'events',
  'estimated',
  'unknown',
  'scored',
  'median APE',
  '80% coverage',
  'censored',
  'crossed',
]
const lines = results.flatMap((r) => [
  row(r.fleet, 'first alert', r.firstAlert),
  row(r.fleet, 'escalation', r.escalation),
])
const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)))
console.log(
  [head, ...lines].map((l) => l.map((c, i) => String(c).padStart(widths[i]!)).join('  ')).join('\n'),
)
for (const r of results) {
  for (const p of r.points.filter((x) => x.covered === false))
    console.log(
      `  ${r.fleet} miss: ${p.fault} ${p.kind} ${p.event} ${p.severity} -> ${p.limit}: predicted ${hours(p.predictedHours === null ? null : p.predictedHours / 24)} ${JSON.stringify(p.intervalHours)}, actual ${p.actualHours ?? `> ${p.censoredAfterHours} (censored)`} h`,
    )
}
console.log(`one estimate on a ${cost.ringReadings}-reading ring: ${cost.microsecondsEach} us`)

mkdirSync(path('results'), { recursive: true })
const out = path('results/rul.json')
const machine = os.cpus()[0]?.model ?? 'unknown'
writeFileSync(out, `${JSON.stringify({ machine, date: new Date().toISOString(), results, cost }, null, 2)}\n`)
console.log(`wrote ${out}`)
