import { FLEET_VEHICLES, type FleetVehicle } from './fleet.js'
import { csvTimestamp, type FleetRow } from './fleet-csv.js'
import { type Component, FAULT_COMPONENT, type FaultKind, faultSignals, planFaults } from './fleet-faults.js'
import { VehicleSim } from './fleet-physics.js'
import { climateFor } from './fleet-profiles.js'
import { Rng } from './fleet-random.js'
import { Weather } from './fleet-weather.js'
import { isValidVin } from './vin.js'

export { FLEET_CSV_COLUMNS, type FleetRow, formatFleetCsv } from './fleet-csv.js'
export { crossesLimit, type FaultKind, HARD_LIMITS, PRIMARY_SIGNAL } from './fleet-faults.js'
export { syntheticFleet } from './fleet-profiles.js'

export const STEP_MINUTES = 15
const STEP_MS = STEP_MINUTES * 60_000
const DAY_MS = 86_400_000

export interface FleetOptions {
  seed?: number
  days?: number
  /** First timestamp (UTC); must fall on a 15-minute boundary. */
  start?: Date | string
  /** Defaults to the demo fleet, FLEET_VEHICLES. */
  vehicles?: readonly FleetVehicle[]
}

export const DEFAULT_FLEET_OPTIONS = { seed: 42, days: 30, start: '2026-10-01T00:00:00Z' } as const

/** Ground truth of one injected fault episode; times are ISO-8601 UTC. */
export interface FaultEpisode {
  id: string
  vin: string
  kind: FaultKind
  component: Component
  batch: string
  /** When the ramp begins. */
  start: string
  /** The first row whose primary signal (`signals[0]`) crosses its hard limit; null if it never did. */
  threshold_crossed_at: string | null
  /** The first row at which the signal is back to normal (after recovery or repair). */
  end: string
  /** Primary signal first. */
  signals: string[]
  /** Most extreme value of each signal during the episode (max, or min for pressure and voltage). */
  peak: Record<string, number>
}

/** The content of data/fleet_faults.json. `end` is exclusive: the timestamp after the last row. */
export interface FleetGroundTruth {
  seed: number
  start: string
  end: string
  step_minutes: number
  vehicles: FleetVehicle[]
  faults: FaultEpisode[]
}

export interface FleetDataset {
  rows: FleetRow[]
  faults: FaultEpisode[]
  groundTruth: FleetGroundTruth
}

function resolve(options: FleetOptions) {
  const seed = options.seed ?? DEFAULT_FLEET_OPTIONS.seed
  const days = options.days ?? DEFAULT_FLEET_OPTIONS.days
  const startMs = new Date(options.start ?? DEFAULT_FLEET_OPTIONS.start).getTime()
  const vehicles = options.vehicles ?? FLEET_VEHICLES
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`)
  if (!Number.isInteger(days) || days < 1) throw new Error(`days must be a positive integer, got ${days}`)
  if (!Number.isFinite(startMs) || startMs % STEP_MS !== 0) {
    throw new Error(`start must be a valid time on a 15-minute boundary, got ${String(options.start)}`)
  }
  if (vehicles.length === 0) throw new Error('no vehicles')
  const seen = new Set<string>()
  for (const v of vehicles) {
    if (!isValidVin(v.vin)) throw new Error(`invalid VIN ${v.vin}`)
    if (seen.has(v.vin)) throw new Error(`duplicate VIN ${v.vin}`)
    seen.add(v.vin)
  }
  return { seed, days, startMs, vehicles }
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Simulates the fleet step by step. Yields the rows of one timestamp at a time, sorted by VIN (so
 * the whole stream is sorted by timestamp, then VIN) and returns the ground truth at the end.
 * Streaming keeps memory flat for benchmark fleets of thousands of vehicles.
 */
export function* iterateFleet(options: FleetOptions = {}): Generator<FleetRow[], FleetGroundTruth, void> {
  const { seed, days, startMs, vehicles } = resolve(options)
  const steps = days * (DAY_MS / STEP_MS)
  const sorted = [...vehicles].sort((a, b) => (a.vin < b.vin ? -1 : a.vin > b.vin ? 1 : 0))
  const plans = planFaults(sorted, steps, new Rng(seed, 'faults'))
  const weather = new Map<string, Weather>()
  const sims = sorted.map((v) => {
    const climate = climateFor(v.ownerEmail)
    let w = weather.get(climate.name)
    if (!w) {
      w = new Weather(climate, startMs, steps, seed)
      weather.set(climate.name, w)
    }
    return new VehicleSim(
      v,
      w,
      seed,
      startMs,
      plans.filter((p) => p.vin === v.vin),
    )
  })

  for (let k = 0; k < steps; k++) {
    const tMs = startMs + k * STEP_MS
    const timestamp = csvTimestamp(tMs)
    yield sims.map((sim) => sim.step(k, tMs, timestamp))
  }

  const episodes = sims.flatMap((sim) => sim.episodes.map((ep) => ({ vehicle: sim.vehicle, ep })))
  episodes.sort(
    (a, b) => a.ep.plan.startStep - b.ep.plan.startStep || (a.vehicle.vin < b.vehicle.vin ? -1 : 1),
  )
  const at = (step: number) => iso(startMs + step * STEP_MS)
  const faults = episodes.map(({ vehicle, ep }, i): FaultEpisode => {
    const signals = faultSignals(ep.plan)
    const peak: Record<string, number> = {}
    for (const s of signals) if (ep.extremes[s] !== undefined) peak[s] = ep.extremes[s]
    return {
      id: `F-${String(i + 1).padStart(3, '0')}`,
      vin: vehicle.vin,
      kind: ep.plan.kind,
      component: FAULT_COMPONENT[ep.plan.kind],
      batch: vehicle.batch,
      start: at(ep.plan.startStep),
      threshold_crossed_at: ep.crossedStep === null ? null : at(ep.crossedStep),
      end: at(ep.endStep ?? ep.plan.startStep + ep.plan.maxSteps),
      signals,
      peak,
    }
  })
  return {
    seed,
    start: iso(startMs),
    end: iso(startMs + steps * STEP_MS),
    step_minutes: STEP_MINUTES,
    vehicles: vehicles.map((v) => ({ ...v })),
    faults,
  }
}

/** The whole dataset in memory: `generateFleet({ seed: 42, days: 30 })` is the shipped file. */
export function generateFleet(options: FleetOptions = {}): FleetDataset {
  const rows: FleetRow[] = []
  const it = iterateFleet(options)
  for (;;) {
    const next = it.next()
    if (next.done) return { rows, faults: next.value.faults, groundTruth: next.value }
    for (const row of next.value) rows.push(row)
  }
}

/** data/fleet_faults.json text. */
export function formatGroundTruth(truth: FleetGroundTruth): string {
  return `${JSON.stringify(truth, null, 2)}\n`
}
