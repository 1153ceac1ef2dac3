import { DEFECTIVE_BATCH, type FleetVehicle } from './fleet.js'
import { modelSpec } from './fleet-profiles.js'
import type { Rng } from './fleet-random.js'

export type FaultKind = 'battery_thermal' | 'bearing_wear' | 'slow_leak' | 'brake_wear'
export type Component = 'battery' | 'motor' | 'tires' | 'brakes'

export const FAULT_COMPONENT: Readonly<Record<FaultKind, Component>> = {
  battery_thermal: 'battery',
  bearing_wear: 'motor',
  slow_leak: 'tires',
  brake_wear: 'brakes',
}

/**
 * The hard limits of the detection rules. The generated data is built around them: normal operation
 * stays well inside, and each fault's primary signal (its `signals[0]`) crosses its limit.
 */
export const HARD_LIMITS = {
  battery_temperature: { above: 45 },
  motor_vibration: { above: 2.0 },
  motor_temperature: { above: 100 },
  tire_pressure: { below: 28 },
  brake_pad_wear: { above: 0.8 },
  soh: { below: 0.7 },
} as const satisfies Record<string, { above: number } | { below: number }>

export type LimitedSignal = keyof typeof HARD_LIMITS

export function crossesLimit(signal: LimitedSignal, value: number): boolean {
  const limit: { above?: number; below?: number } = HARD_LIMITS[signal]
  return limit.above !== undefined ? value > limit.above : value < limit.below!
}

export const PRIMARY_SIGNAL: Readonly<Record<FaultKind, LimitedSignal>> = {
  battery_thermal: 'battery_temperature',
  bearing_wear: 'motor_vibration',
  slow_leak: 'tire_pressure',
  brake_wear: 'brake_pad_wear',
}

/** The signals a fault shows in, primary first. Severe thermal episodes also sag the pack voltage. */
export function faultSignals(plan: FaultPlan): string[] {
  switch (plan.kind) {
    case 'battery_thermal':
      return plan.sagVolts > 0 ? ['battery_temperature', 'battery_voltage'] : ['battery_temperature']
    case 'bearing_wear':
      return ['motor_vibration', 'motor_temperature']
    case 'slow_leak':
      return ['tire_pressure']
    case 'brake_wear':
      return ['brake_pad_wear']
  }
}

/** One planned fault episode; times are step indexes from the start of the generated range. */
export interface FaultPlan {
  vin: string
  kind: FaultKind
  startStep: number
  /** Upper bound of the episode's length; planning keeps these windows apart. */
  maxSteps: number
  rampSteps: number
  holdSteps: number
  recoverySteps: number
  /**
   * Faults that end in a repair: steps from the threshold crossing (for bearing wear, from the end
   * of the ramp if that is later) to the workshop.
   */
  repairDelaySteps: number
  /**
   * What the fault drives towards. battery_thermal: peak temperature, C; bearing_wear: vibration
   * while driving, g; slow_leak: final cold pressure, psi; brake_wear: days from start to 0.8 wear.
   */
  target: number
  /** battery_thermal only: pack voltage sag at full severity (0 unless severe). */
  sagVolts: number
}

const STEPS_PER_HOUR = 4
const STEPS_PER_DAY = 96
const hours = (h: number) => Math.round(h * STEPS_PER_HOUR)

function drawPlan(kind: FaultKind, vin: string, rng: Rng): Omit<FaultPlan, 'startStep'> {
  const base = { vin, kind, holdSteps: 0, recoverySteps: 0, repairDelaySteps: 0, sagVolts: 0 }
  switch (kind) {
    case 'battery_thermal': {
      const target = rng.range(48, 60)
      const p = {
        ...base,
        rampSteps: hours(rng.range(6, 24)),
        holdSteps: hours(rng.range(3, 8)),
        recoverySteps: hours(rng.range(4, 10)),
        target,
        sagVolts: target >= 54 ? rng.range(10, 22) : 0,
      }
      return { ...p, maxSteps: p.rampSteps + p.holdSteps + p.recoverySteps }
    }
    case 'bearing_wear': {
      const rampSteps = hours(rng.range(72, 144))
      return {
        ...base,
        rampSteps,
        repairDelaySteps: hours(rng.range(18, 40)),
        target: rng.range(2.5, 3.0),
        maxSteps: rampSteps + 2 * STEPS_PER_DAY,
      }
    }
    case 'slow_leak': {
      const rampSteps = hours(rng.range(18, 44))
      const repairDelaySteps = hours(rng.range(1, 6))
      return {
        ...base,
        rampSteps,
        repairDelaySteps,
        target: rng.range(21.5, 24),
        maxSteps: rampSteps + repairDelaySteps,
      }
    }
    case 'brake_wear':
      return {
        ...base,
        rampSteps: STEPS_PER_DAY,
        repairDelaySteps: hours(rng.range(4, 16)),
        target: rng.range(5, 6.5),
        maxSteps: 10 * STEPS_PER_DAY,
      }
  }
}

/** Ranks candidates for a fault kind: non-defective vehicles first, vans first for brake wear. */
function candidates(kind: FaultKind, vehicles: readonly FleetVehicle[], rng: Rng): FleetVehicle[] {
  const shuffled = rng.shuffle(vehicles)
  const score = (v: FleetVehicle) =>
    (v.batch === DEFECTIVE_BATCH && kind !== 'slow_leak' ? 2 : 0) +
    (kind === 'brake_wear' && modelSpec(v.model).usage !== 'delivery' ? 1 : 0)
  return shuffled.sort((a, b) => score(a) - score(b))
}

/**
 * Decides which vehicle suffers which fault and when. Every vehicle of DEFECTIVE_BATCH gets 1-2
 * thermal episodes while about 1 % of the others (exactly one in a small fleet) get one, so that
 * the batch stands out. Episodes start after the first 3 days (the drift detector's baseline), end
 * before the range does, and keep a day of normal data between them.
 */
export function planFaults(vehicles: readonly FleetVehicle[], totalSteps: number, rng: Rng): FaultPlan[] {
  const small = vehicles.length <= 20
  const wanted: { vin: string; kind: FaultKind }[] = []
  const defective = vehicles.filter((v) => v.batch === DEFECTIVE_BATCH)
  const others = vehicles.filter((v) => v.batch !== DEFECTIVE_BATCH)
  for (const v of defective) {
    const n = rng.chance(0.5) ? 2 : 1
    for (let i = 0; i < n; i++) wanted.push({ vin: v.vin, kind: 'battery_thermal' })
  }
  const outliers = Math.min(others.length, Math.max(1, Math.round(others.length * 0.01)))
  for (const v of rng.shuffle(others).slice(0, outliers)) wanted.push({ vin: v.vin, kind: 'battery_thermal' })
  const counts: [FaultKind, number][] = [
    ['brake_wear', small ? 1 : Math.round(vehicles.length * 0.02)],
    ['bearing_wear', small ? rng.int(1, 2) : Math.round(vehicles.length * 0.03)],
    ['slow_leak', small ? rng.int(1, 2) : Math.round(vehicles.length * 0.04)],
  ]
  const used = new Set(wanted.map((w) => w.vin))
  for (const [kind, count] of counts) {
    // Prefer vehicles without a fault yet, so that each story is easy to follow.
    const ranked = candidates(kind, vehicles, rng)
    const pool = [...ranked.filter((v) => !used.has(v.vin)), ...ranked.filter((v) => used.has(v.vin))]
    for (const v of pool.slice(0, count)) {
      wanted.push({ vin: v.vin, kind })
      used.add(v.vin)
    }
  }

  const firstStart = 3 * STEPS_PER_DAY
  const lastEnd = totalSteps - STEPS_PER_HOUR
  const placed: FaultPlan[] = []
  for (const { vin, kind } of wanted) {
    const draft = drawPlan(kind, vin, rng)
    // Brake wear should cross its limit late in the range.
    const earliest = kind === 'brake_wear' ? Math.max(firstStart, Math.round(totalSteps * 0.5)) : firstStart
    const latest = lastEnd - draft.maxSteps
    if (latest < earliest) continue
    const mine = placed.filter((p) => p.vin === vin)
    for (let attempt = 0; attempt < 40; attempt++) {
      const startStep = rng.int(earliest, latest)
      const clear = mine.every(
        (p) =>
          startStep >= p.startStep + p.maxSteps + STEPS_PER_DAY ||
          startStep + draft.maxSteps + STEPS_PER_DAY <= p.startStep,
      )
      if (clear) {
        placed.push({ ...draft, startStep })
        break
      }
    }
  }
  return placed.sort((a, b) => a.startStep - b.startStep || (a.vin < b.vin ? -1 : a.vin > b.vin ? 1 : 0))
}

const smoothstep = (u: number) => (u <= 0 ? 0 : u >= 1 ? 1 : u * u * (3 - 2 * u))

/**
 * A fault episode while it is simulated. Thermal and leak episodes have a fixed end; bearing and
 * brake episodes end with a repair some hours after their signal crosses the limit (the operator
 * reacting to the alert), or at the latest when their planned window closes.
 */
export class EpisodeRuntime {
  crossedStep: number | null = null
  endStep: number | null
  /** Most extreme value of each signal during the episode (max, or min for pressure and voltage). */
  readonly extremes: Record<string, number> = {}
  /** Values captured when the episode starts (e.g. cold tyre pressure, brake pad wear). */
  startValue = 0
  /** brake_wear: extra pad wear per km at full severity, fixed when the episode starts. */
  extraWearPerKm = 0

  constructor(readonly plan: FaultPlan) {
    const fixed = plan.kind === 'battery_thermal' || plan.kind === 'slow_leak'
    this.endStep = fixed ? plan.startStep + plan.maxSteps : null
  }

  isActive(step: number): boolean {
    return step >= this.plan.startStep && (this.endStep === null || step < this.endStep)
  }

  /** Hidden severity 0-1 of the underlying condition at `step`. */
  severity(step: number): number {
    const p = this.plan
    const k = step - p.startStep
    if (!this.isActive(step)) return 0
    if (p.kind === 'battery_thermal') {
      if (k < p.rampSteps) return smoothstep(k / p.rampSteps)
      if (k < p.rampSteps + p.holdSteps) return 1
      return 1 - smoothstep((k - p.rampSteps - p.holdSteps) / p.recoverySteps)
    }
    const u = Math.min(1, k / p.rampSteps)
    if (p.kind === 'bearing_wear') return u ** 1.6
    if (p.kind === 'slow_leak') return u ** 1.4
    return smoothstep(u)
  }

  /** Records one generated row's values; decides the repair time once the limit is crossed. */
  observe(step: number, values: Readonly<Record<string, number>>, signals: readonly string[]): void {
    for (const signal of signals) {
      const value = values[signal]!
      const prev = this.extremes[signal]
      const low = signal === 'tire_pressure' || signal === 'battery_voltage'
      if (prev === undefined || (low ? value < prev : value > prev)) this.extremes[signal] = value
    }
    const primary = PRIMARY_SIGNAL[this.plan.kind]
    if (this.crossedStep === null && crossesLimit(primary, values[primary]!)) {
      this.crossedStep = step
      // A worn bearing keeps degrading until the workshop slot, so it reaches its full vibration first.
      const from =
        this.plan.kind === 'bearing_wear' ? Math.max(step, this.plan.startStep + this.plan.rampSteps) : step
      if (this.endStep === null) this.endStep = from + this.plan.repairDelaySteps
    }
    const lastStep = this.plan.startStep + this.plan.maxSteps
    if (this.endStep === null && step + 1 >= lastStep) this.endStep = lastStep
    if (this.endStep !== null) this.endStep = Math.min(this.endStep, lastStep)
  }
}
