/**
 * Detection quality of the data analysis agent against the injected faults: the shipped fleet and a
 * fleet generated with another seed, and its speed on one vehicle's warm history (analyses/s).
 * Usage: npx tsx bench/detection.ts [--seed N] [--days D]
 * Prints a table and writes bench/results/detection.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DataAnalysisAgent } from '../src/agents/detection/data-agent.js'
import type { TelemetryReading } from '../src/schemas/telemetry.js'
import { generateFleet } from '../src/simulation/fleet-generator.js'
import { StreamEngine } from '../src/simulation/stream-engine.js'
import {
  type DetectionReport,
  evaluateDetection,
  fleetRowToReading,
  formatDetectionTable,
  type GroundTruthFault,
  loadGroundTruth,
} from './lib/detection-eval.js'

const { values } = parseArgs({
  options: { seed: { type: 'string', default: '7' }, days: { type: 'string', default: '30' } },
})
const seed = Number(values.seed)
const days = Number(values.days)
if (!Number.isInteger(seed) || !Number.isInteger(days) || days < 1) {
  console.error('usage: npx tsx bench/detection.ts [--seed N] [--days D]')
  process.exit(2)
}

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url))

interface Fleet {
  name: string
  readings: TelemetryReading[]
  faults: GroundTruthFault[]
  vehicles: number
}

async function shipped(): Promise<Fleet> {
  const engine = new StreamEngine(path('../data/fleet_15min.csv'), { delaySeconds: 0, loop: false })
  const readings: TelemetryReading[] = []
  for await (const reading of engine.streamData()) readings.push(reading)
  const faults = loadGroundTruth(path('../data/fleet_faults.json'))
  return { name: 'shipped (seed 42)', readings, faults, vehicles: new Set(readings.map((r) => r.vin)).size }
}

function generated(): Fleet {
  const { rows, faults, groundTruth } = generateFleet({ seed, days })
  const readings = rows.map(fleetRowToReading)
  return {
    name: `generated (seed ${seed}, ${days} d)`,
    readings,
    faults,
    vehicles: groundTruth.vehicles.length,
  }
}

function summary(fleet: Fleet, r: DetectionReport, ms: number) {
  return {
    fleet: fleet.name,
    vehicles: fleet.vehicles,
    readings: fleet.readings.length,
    faults: r.faults,
    detected: r.detected,
    missed: r.missed.map((f) => `${f.id} ${f.kind} ${f.vin}`),
    episodes: r.episodes,
    falseEpisodes: r.falseEpisodes.map(({ vin, type, opened, closed, reason }) => ({
      vin,
      type,
      opened,
      closed,
      reason,
    })),
    repeatEpisodes: r.repeatEpisodes,
    precision: r.precision,
    recall: r.recall,
    medianLeadTimeHours: r.medianLeadTimeHours,
    leadTimesHours: r.leadTimesHours,
    byKind: r.byKind,
    evaluationMs: Math.round(ms),
  }
}

/**
 * Analyses per second on one vehicle's warm history: the shipped fleet's first vehicle, its first
 * 1,000 readings folded in, then its month analysed lap after lap (the hot path's per-reading cost).
 */
function warmHistoryThroughput(readings: TelemetryReading[]) {
  const vin = readings[0]!.vin
  const own = readings.filter((r) => r.vin === vin)
  const agent = new DataAnalysisAgent()
  const history = agent.createHistory()
  for (const r of own.slice(0, 1000)) agent.analyze(r, history)
  const n = 300_000
  const start = performance.now()
  for (let i = 0; i < n; i++) agent.analyze(own[i % own.length]!, history)
  const seconds = (performance.now() - start) / 1000
  return {
    vin,
    historyReadings: Math.min(1000, own.length),
    analyses: n,
    analysesPerSecond: Math.round(n / seconds),
  }
}

const shippedFleet = await shipped()
const warmHistory = warmHistoryThroughput(shippedFleet.readings)

const results = []
const rows: { name: string; report: DetectionReport }[] = []
for (const fleet of [shippedFleet, generated()]) {
  const started = performance.now()
  const report = evaluateDetection(fleet.readings, fleet.faults)
  results.push(summary(fleet, report, performance.now() - started))
  rows.push({ name: fleet.name, report })
}

console.log(formatDetectionTable(rows))
for (const { name, report } of rows) {
  for (const [kind, s] of Object.entries(report.byKind)) {
    const lead = s.medianLeadTimeHours === null ? '-' : `${s.medianLeadTimeHours.toFixed(1)} h`
    console.log(
      `  ${name} ${kind}: ${s.detected}/${s.faults} detected, ${s.falseEpisodes} false, median lead ${lead}`,
    )
  }
  for (const e of report.falseEpisodes)
    console.log(`  ${name} false: ${e.vin} ${e.type} ${e.opened} ${e.reason}`)
  for (const f of report.missed) console.log(`  ${name} missed: ${f.id} ${f.kind} ${f.vin} ${f.start}`)
}

console.log(
  `DataAnalysisAgent: ${warmHistory.analysesPerSecond.toLocaleString('en-US')} analyses/s (warm history of ${warmHistory.vin})`,
)

mkdirSync(path('results'), { recursive: true })
const out = path('results/detection.json')
const machine = os.cpus()[0]?.model ?? 'unknown'
writeFileSync(
  out,
  `${JSON.stringify({ machine, date: new Date().toISOString(), results, warmHistory }, null, 2)}\n`,
)
console.log(`wrote ${out}`)
