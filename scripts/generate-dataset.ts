/**
 * Writes the seeded fleet dataset: `npm run dataset -- [--seed 42] [--days 30] [--vehicles N]
 * [--start 2026-10-01T00:00:00Z] [--out data/fleet_15min.csv] [--faults data/fleet_faults.json]`.
 * Without --vehicles it writes the demo fleet (the committed files); with it, N synthetic vehicles
 * for benchmarks. Rows are streamed, so 1,000 vehicles x 30 days fit in a little memory.
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import {
  DEFAULT_FLEET_OPTIONS,
  type FleetGroundTruth,
  type FleetRow,
  formatFleetCsv,
  formatGroundTruth,
  iterateFleet,
  syntheticFleet,
} from '../src/simulation/fleet-generator.js'

const USAGE =
  'usage: npm run dataset -- [--seed N] [--days N] [--vehicles N] [--start ISO] [--out FILE] [--faults FILE]'

function integer(name: string, text: string, min: number): number {
  if (!/^-?\d+$/.test(text) || Number(text) < min) {
    throw new Error(`--${name} must be an integer >= ${min}, got '${text}'\n${USAGE}`)
  }
  return Number(text)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: String(DEFAULT_FLEET_OPTIONS.seed) },
      days: { type: 'string', default: String(DEFAULT_FLEET_OPTIONS.days) },
      vehicles: { type: 'string' },
      start: { type: 'string', default: DEFAULT_FLEET_OPTIONS.start },
      out: { type: 'string', default: 'data/fleet_15min.csv' },
      faults: { type: 'string', default: 'data/fleet_faults.json' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const seed = integer('seed', values.seed, -(2 ** 31))
  const days = integer('days', values.days, 1)
  const vehicles =
    values.vehicles === undefined ? undefined : syntheticFleet(integer('vehicles', values.vehicles, 1))
  const started = performance.now()

  // Written next to the target and renamed at the end, so a failed run never leaves half a file.
  await mkdir(dirname(values.out), { recursive: true })
  await mkdir(dirname(values.faults), { recursive: true })
  const tmp = `${values.out}.tmp`
  const file = createWriteStream(tmp)
  const failed = new Promise<never>((_, reject) => file.on('error', reject))
  const it = iterateFleet({ seed, days, start: values.start, vehicles })
  let pending: FleetRow[] = []
  let header = true
  let rows = 0
  let truth: FleetGroundTruth | undefined
  const flush = async () => {
    if (!file.write(formatFleetCsv(pending, header))) await Promise.race([once(file, 'drain'), failed])
    header = false
    rows += pending.length
    pending = []
  }
  while (truth === undefined) {
    const next = it.next()
    if (next.done) truth = next.value
    else for (const row of next.value) pending.push(row)
    if (pending.length >= 5000 || (truth && (pending.length > 0 || header))) await flush()
  }
  file.end()
  await Promise.race([once(file, 'finish'), failed])
  await rename(tmp, values.out)
  await writeFile(values.faults, formatGroundTruth(truth))

  const csvBytes = (await stat(values.out)).size
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const size = `${(csvBytes / 1e6).toFixed(2)} MB`
  console.log(`${values.out}: ${rows} rows, ${truth.vehicles.length} vehicles, ${size} (${seconds} s)`)
  console.log(`${values.faults}: ${truth.faults.length} fault episodes, ${truth.start} .. ${truth.end}`)
  if (truth.faults.length <= 30) {
    for (const f of truth.faults) {
      console.log(
        `  ${f.id} ${f.vin} ${f.kind.padEnd(15)} ${f.start} -> ${f.threshold_crossed_at} -> ${f.end}`,
      )
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
