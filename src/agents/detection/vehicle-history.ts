/**
 * The per-vehicle state container of the data analysis agent and the compiled configuration it is
 * shaped by. Split from `data-agent.ts` to keep files small; `data-agent.ts` re-exports the public parts.
 */
import { READING_WINDOW_MINUTES } from '../../domain.js'
import type { Condition, Rule } from './rules.js'
import {
  DEFAULT_DRIFT_PARAMS,
  type DriftParams,
  LagModel,
  RuleState,
  SignalBaseline,
} from './vehicle-baseline.js'

export interface DataAnalysisOptions {
  /** Consecutive readings on the safe side of the clear level before an active type clears (default 4). */
  clearAfter?: number
  drift?: Partial<DriftParams>
  /**
   * When set, the history's time axis is `reading count x interval` instead of the readings' timestamps
   * (for replays that stamp readings with wall-clock time faster than real time).
   */
  readingIntervalMinutes?: number
}

// Bounds for signals without a configured valid range: beyond them a value is a glitch, not a measurement.
const GLOBAL_MIN = -1e12
const GLOBAL_MAX = 1e12

/** A compiled `measured_when`: the reading's `signal` must lie in [min, max]. */
export interface Gate {
  signal: string
  min: number
  max: number
}

function compileGate(c: Condition | undefined): Gate | undefined {
  if (!c) return undefined
  return { signal: c.signal, min: c.min ?? Number.NEGATIVE_INFINITY, max: c.max ?? Number.POSITIVE_INFINITY }
}

export interface Covariate {
  signal: string
  magnitude: boolean
  min: number
  max: number
}

/** A drift-watched signal of a compiled rule; `slot` indexes the history's baselines. */
export interface DriftWatch {
  slot: number
  signal: string
  above: boolean
  minDeviation: number
  /** The rule's own signal watched in the rule's direction (drift toward the threshold). */
  main: boolean
  min: number
  max: number
  /** Readings failing it do not feed this watch. */
  gate: Gate | undefined
  /** Covariates of a watch on the unexplained part of its signal (`explained_by`). */
  explain: Covariate[] | undefined
  /** The drift parameters of this watch (the agent's, with the watch's own `sustain`). */
  params: DriftParams
}

export interface CompiledRule {
  rule: Rule
  above: boolean
  /** +1 for 'above' rules, -1 for 'below': `sign * (value - level) > 0` means beyond `level`. */
  sign: number
  /** Valid range of the rule's signal. */
  min: number
  max: number
  watches: DriftWatch[]
  /** Slot of the watch on the rule's own signal, -1 when none. */
  mainSlot: number
  /** Readings failing it do not measure the rule's signal. */
  gate: Gate | undefined
}

/** The agent's compiled configuration; a history is shaped by (and bound to) one layout. */
export interface Layout {
  rules: CompiledRule[]
  drift: DriftParams
  clearAfter: number
  /** Fixed time step per reading (days) instead of timestamps, when configured. */
  intervalDays: number | undefined
}

/** Compiles validated rules and options into the layout every history of one agent shares. */
export function compileLayout(rules: readonly Rule[], options: DataAnalysisOptions): Layout {
  const drift: DriftParams = { ...DEFAULT_DRIFT_PARAMS, ...options.drift }
  const rangeOf = (signal: string): [number, number] => {
    const owner = rules.find((r) => r.signal === signal)
    return [owner?.valid_min ?? GLOBAL_MIN, owner?.valid_max ?? GLOBAL_MAX]
  }
  let slot = 0
  const compiled: CompiledRule[] = rules.map((rule) => {
    const above = rule.direction === 'above'
    const [min, max] = rangeOf(rule.signal)
    const watches: DriftWatch[] = (rule.drift_signals ?? []).map((d) => {
      const [dmin, dmax] = rangeOf(d.signal)
      const watchAbove = (d.direction ?? rule.direction) === 'above'
      return {
        slot: slot++,
        signal: d.signal,
        above: watchAbove,
        minDeviation: d.min_deviation,
        // A watch on the unexplained part of the signal is not a drift toward the threshold.
        main: d.signal === rule.signal && watchAbove === above && d.explained_by === undefined,
        min: dmin,
        max: dmax,
        gate: compileGate(d.measured_when),
        explain: d.explained_by?.map((c) => {
          const [cmin, cmax] = rangeOf(c.signal)
          const min = c.valid_min ?? cmin
          const max = c.valid_max ?? cmax
          return { signal: c.signal, magnitude: c.magnitude === true, min, max }
        }),
        params: d.sustain === undefined ? drift : { ...drift, consecutive: d.sustain },
      }
    })
    const mainSlot = watches.find((w) => w.main)?.slot ?? -1
    const gate = compileGate(rule.measured_when)
    return { rule, above, sign: above ? 1 : -1, min, max, watches, mainSlot, gate }
  })
  const interval = options.readingIntervalMinutes
  return {
    rules: compiled,
    drift,
    clearAfter: Number.isFinite(options.clearAfter) ? Math.max(1, Math.floor(options.clearAfter!)) : 4,
    intervalDays: interval !== undefined && interval > 0 ? interval / 1440 : undefined,
  }
}

// Used when a timestamp is unusable: the dataset's nominal 15-minute step.
const DEFAULT_STEP_DAYS = READING_WINDOW_MINUTES / 1440
const MAX_GAP_DAYS = 366
const BACK_TOLERANCE_DAYS = 1 / 24

/**
 * Everything the data agent remembers about one vehicle: drift baselines and hysteresis state. Fixed size (no per-reading growth). Create it with `DataAnalysisAgent.createHistory()`;
 * it is mutated only by `DataAnalysisAgent.analyze`. About 6 KB per vehicle.
 */
export class VehicleHistory {
  vin: string | undefined
  /** Readings folded in since creation or the last reset. */
  readings = 0
  /** Time of the last reading, days since the first one (time axis). */
  tDays = 0
  baselines: SignalBaseline[] = []
  /** Per baseline slot, the lag model of an `explained_by` watch. */
  models: (LagModel | undefined)[] = []
  states: RuleState[] = []
  private layout: Layout
  private originDays = Number.NaN

  constructor(layout: Layout) {
    this.layout = layout
    this.build()
  }

  /** Anomaly types currently held active. */
  get activeTypes(): string[] {
    const out: string[] = []
    this.states.forEach((s, i) => {
      if (s.active) out.push(this.layout.rules[i]!.rule.type)
    })
    return out
  }

  /** Forgets everything (e.g. after the vehicle's battery pack was replaced). */
  reset(): void {
    this.vin = undefined
    this.readings = 0
    this.tDays = 0
    this.originDays = Number.NaN
    this.build()
  }

  /**
   * Re-anchors after a discontinuity in the data (the replay wrapping around to its first row):
   * the learned baselines and lag models start over, so the jump is not read as a drift,
   * while the hysteresis of active types is kept, so an open episode clears by the usual rule
   * once its signal is back on the safe side instead of being dropped.
   */
  rebase(): void {
    const states = this.states
    this.build()
    this.states = states
  }

  /** @internal Rebinds to `layout` if it came from another agent, resets on a VIN change, counts the reading. */
  prepare(layout: Layout, vin: string | undefined): void {
    if (layout !== this.layout) {
      this.layout = layout
      this.reset()
    }
    if (vin !== undefined) {
      if (this.vin !== undefined && this.vin !== vin) this.reset()
      this.vin = vin
    }
    this.readings++
  }

  /** @internal Moves the clock; `epochDays` is NaN when the reading's timestamp is unusable. */
  advanceTime(epochDays: number): void {
    const step = this.layout.intervalDays
    if (step !== undefined) {
      this.tDays = (this.readings - 1) * step
      return
    }
    if (!Number.isFinite(epochDays)) {
      if (this.readings > 1) this.tDays += DEFAULT_STEP_DAYS
      return
    }
    if (Number.isNaN(this.originDays)) this.originDays = epochDays - this.tDays
    const t = epochDays - this.originDays
    // Slightly out-of-order or repeated timestamps hold the clock. A jump back (a replay restarting) or
    // an implausible jump forward (a corrupt timestamp) is a discontinuity: the clock moves one nominal
    // step and re-anchors there, so it never runs backwards and one bad timestamp cannot stall it.
    if (t >= this.tDays && t - this.tDays <= MAX_GAP_DAYS) this.tDays = t
    else if (t < this.tDays && this.tDays - t <= BACK_TOLERANCE_DAYS) return
    else {
      this.tDays += DEFAULT_STEP_DAYS
      this.originDays = epochDays - this.tDays
    }
  }

  private build(): void {
    this.baselines = []
    this.models = []
    this.states = []
    for (const cr of this.layout.rules) {
      this.states.push(new RuleState())
      for (const w of cr.watches) {
        this.baselines[w.slot] = new SignalBaseline(w.signal, w.above, w.minDeviation, w.params, !!w.explain)
        this.models[w.slot] = w.explain
          ? new LagModel(w.explain.length, Math.ceil(w.params.warmup / 4))
          : undefined
      }
    }
  }
}
