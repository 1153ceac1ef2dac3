import { RulEstimator, type RulOptions } from './rul.js'
import type { Rule } from './rules.js'

/**
 * Per-vehicle, per-signal incremental statistics for the drift check.
 *
 * The baseline is an exponentially weighted mean/variance with weight `max(1/n, 1/span)`: for the
 * first `span` samples that is the plain running mean and (population) variance, after that an
 * EWMA whose memory is `span` samples (default 288 = 3 days of 15-minute readings). A slow memory
 * averages daily cycles into the variance instead of following them.
 *
 * What the baseline refuses to learn, so that a slow genuine drift is not absorbed into it:
 * - values beyond the rule threshold (known-bad values);
 * - once warm, values more than `gateZ` standard deviations from the mean in the bad direction
 *   (the baseline freezes while the signal is anomalous);
 * - values far on the safe side are winsorized to `gateZ` deviations, so a cold morning or an
 *   outlier cannot inflate the variance in one step.
 * If the baseline stays frozen for `maxFrozen` consecutive samples, the new level is accepted as the
 * vehicle's normal: the baseline restarts from scratch (the hard threshold keeps watching meanwhile).
 */

export interface DriftParams {
  /** Samples before the baseline is trusted (default 96 = one day at 15 minutes). */
  warmup: number
  /** EWMA memory in samples once warm (default 288). */
  span: number
  /** |z| needed for a drift sample (default 4). */
  raiseZ: number
  /** Drift evidence counts as gone below this z (default 2); hysteresis on the z-score itself. */
  clearZ: number
  /** Consecutive drift samples before drift is reported (default 4). */
  consecutive: number
  /** z beyond which the baseline stops learning (default 3). */
  gateZ: number
  /** Consecutive frozen samples after which the baseline is rebuilt (default 672 = one week). */
  maxFrozen: number
}

export const DEFAULT_DRIFT_PARAMS: Readonly<DriftParams> = {
  warmup: 96,
  span: 288,
  raiseZ: 4,
  clearZ: 2,
  consecutive: 4,
  gateZ: 3,
  maxFrozen: 672,
}

// Winsorizing before a handful of samples would clip against a meaningless variance.
const MIN_SAMPLES_FOR_CLIPPING = 8

export class SignalBaseline {
  /** Samples learned since the last (re)start. */
  n = 0
  mean = 0
  variance = 0
  /** Consecutive samples in drift (|z| > raiseZ in the bad direction and at least minDeviation away). */
  streak = 0
  /** Consecutive samples refused by the gate. */
  frozen = 0
  /** The last usable value and what it was scored against (the mean before learning it). */
  last = Number.NaN
  lastMean = 0
  lastZ = 0
  lastDeviation = 0
  /** Whether the last `observe` received a usable value. */
  observed = false

  /** +1 when high values are bad, -1 when low values are bad. */
  private readonly sign: number
  private readonly sigmaFloor: number
  private readonly alphaMin: number

  constructor(
    readonly signal: string,
    above: boolean,
    readonly minDeviation: number,
    private readonly params: DriftParams,
  ) {
    this.sign = above ? 1 : -1
    // A perfectly steady signal would otherwise give an infinite z for the smallest wobble.
    this.sigmaFloor = minDeviation / 10
    this.alphaMin = 1 / Math.max(1, params.span)
  }

  get warm(): boolean {
    return this.n >= this.params.warmup
  }

  get sigma(): number {
    return Math.max(Math.sqrt(this.variance), this.sigmaFloor)
  }

  /**
   * Scores `x` against the baseline (before learning it), updates the drift streak, then learns
   * `x` unless the gate refuses it. `x` must be finite (callers drop unusable values); `beyondThreshold`
   * marks a value past the rule threshold, which is never learned. Returns true while in drift.
   */
  observe(x: number, beyondThreshold: boolean): boolean {
    this.observed = true
    const sigma = this.sigma
    const deviation = this.sign * (x - this.mean)
    const z = deviation / sigma
    this.last = x
    this.lastMean = this.mean
    this.lastZ = z
    this.lastDeviation = deviation
    const warm = this.warm
    if (warm && z > this.params.raiseZ && deviation >= this.minDeviation) this.streak++
    else this.streak = 0

    if (beyondThreshold) return this.inDrift
    if (warm && z > this.params.gateZ) {
      if (++this.frozen >= this.params.maxFrozen) this.restart()
      return this.inDrift
    }
    this.frozen = 0
    let v = x
    if (this.n >= MIN_SAMPLES_FOR_CLIPPING) {
      const limit = this.params.gateZ * sigma
      if (v > this.mean + limit) v = this.mean + limit
      else if (v < this.mean - limit) v = this.mean - limit
    }
    this.n++
    const alpha = Math.max(1 / this.n, this.alphaMin)
    const d = v - this.mean
    const step = alpha * d
    this.mean += step
    this.variance = (1 - alpha) * (this.variance + d * step)
    return this.inDrift
  }

  /** The reading had no usable value for this signal: no evidence either way, streak kept. */
  skip(): void {
    this.observed = false
  }

  get inDrift(): boolean {
    return this.streak >= this.params.consecutive
  }

  /** Drift evidence has faded (or there is none): below `clearZ`, or closer than half the minimum deviation. */
  get calm(): boolean {
    if (!this.observed || !this.warm) return true
    return this.lastZ < this.params.clearZ || this.lastDeviation < this.minDeviation / 2
  }

  restart(): void {
    this.n = 0
    this.mean = 0
    this.variance = 0
    this.streak = 0
    this.frozen = 0
    this.last = Number.NaN
    this.lastMean = 0
    this.lastZ = 0
    this.lastDeviation = 0
  }
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
}

/** The agent's compiled configuration; a history is shaped by (and bound to) one layout. */
export interface Layout {
  rules: CompiledRule[]
  drift: DriftParams
  rul: RulOptions
  clearAfter: number
  /** Fixed time step per reading (days) instead of timestamps, when configured. */
  intervalDays: number | undefined
}

/** Hysteresis state of one anomaly type for one vehicle. */
export class RuleState {
  active = false
  /** Consecutive readings on the safe side of the clear level while active. */
  clearCount = 0
  /** Highest severity rank (0 Low .. 3 Critical) reported since the type became active; -1 when inactive. */
  peak = -1
  lastValue = Number.NaN
  justRaised = false
  justEscalated = false
}

// Used when a timestamp is unusable: the dataset's nominal 15-minute step.
const DEFAULT_STEP_DAYS = 15 / 1440

/**
 * Everything the data agent remembers about one vehicle: drift baselines, hysteresis state and the
 * RUL trend. Fixed size (no per-reading growth). Create it with `DataAnalysisAgent.createHistory()`;
 * it is mutated only by `DataAnalysisAgent.analyze`.
 */
export class VehicleHistory {
  vin: string | undefined
  /** Readings folded in since creation or the last reset. */
  readings = 0
  /** Time of the last reading, days since the first one (RUL time axis). */
  tDays = 0
  baselines: SignalBaseline[] = []
  states: RuleState[] = []
  rul: RulEstimator
  private layout: Layout
  private originDays = Number.NaN

  constructor(layout: Layout) {
    this.layout = layout
    this.rul = new RulEstimator(layout.rul)
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
    this.rul = new RulEstimator(this.layout.rul)
    this.build()
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

  /** @internal Moves the RUL clock; `epochDays` is NaN when the reading's timestamp is unusable. */
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
    // Out-of-order or repeated timestamps must not run the clock backwards.
    this.tDays = Math.max(this.tDays, epochDays - this.originDays)
  }

  private build(): void {
    this.baselines = []
    this.states = []
    for (const cr of this.layout.rules) {
      this.states.push(new RuleState())
      for (const w of cr.watches) {
        this.baselines[w.slot] = new SignalBaseline(w.signal, w.above, w.minDeviation, this.layout.drift)
      }
    }
  }
}
