/**
 * Per-vehicle, per-signal incremental statistics for the drift check.
 *
 * The baseline mean is an exponentially weighted mean with weight `max(1/n, 1/span)`: for the first
 * `span` samples the plain running mean, after that an EWMA with a memory of `span` samples
 * (default 672 = one week of 15-minute readings), slow enough to average out daily cycles.
 *
 * The variance is the spread around a faster *local* mean (`localSpan`, default 48 = 12 hours), not
 * around the slow baseline. A daily cycle is too fast for a 12-hour memory to follow, so it stays in
 * the variance (no alarms from driving and charging); a drift lasting days is followed by the local
 * mean, so its growing distance from the baseline shows up in the z-score instead of inflating the
 * variance (the classic way an EWMA z-score absorbs a slow drift).
 *
 * What the baseline refuses to learn, so that a genuine drift is not absorbed into it:
 * - values beyond the rule threshold (known-bad values);
 * - once warm, values that have stayed more than `gateZ` deviations away in the bad direction for
 *   `gateAfter` consecutive samples, and everything while in drift (the baseline freezes). Shorter
 *   excursions are learned: a 90-minute drive or a charging session is normal and belongs in the
 *   variance, otherwise every drive would look like drift;
 * - all values are winsorized to `clipZ` deviations, so one glitch cannot inflate the variance.
 * If the baseline stays frozen below the alarm level (deviation under the minimum) for `maxFrozen`
 * consecutive samples, the new level is accepted as the vehicle's normal: the baseline restarts from
 * scratch (the hard threshold keeps watching meanwhile). A reported drift is never re-baselined.
 */

export interface DriftParams {
  /** Samples before the baseline is trusted (default 96 = one day at 15 minutes). */
  warmup: number
  /** Memory of the baseline mean in samples (default 672). */
  span: number
  /** Memory of the local mean the variance is measured around (default 48). */
  localSpan: number
  /** |z| needed for a drift sample (default 4). */
  raiseZ: number
  /** Drift evidence counts as gone below this z (default 2); hysteresis on the z-score itself. */
  clearZ: number
  /** Consecutive drift samples before drift is reported (default 4). */
  consecutive: number
  /** z beyond which, sustained for `gateAfter` samples (default 3 for 8), the baseline stops learning. */
  gateZ: number
  gateAfter: number
  /** Samples are winsorized to this many deviations before being learned (default 5). */
  clipZ: number
  /** Consecutive frozen samples after which the baseline is rebuilt (default 672 = one week). */
  maxFrozen: number
}

export const DEFAULT_DRIFT_PARAMS: Readonly<DriftParams> = {
  warmup: 96,
  span: 672,
  localSpan: 48,
  raiseZ: 4,
  clearZ: 2,
  consecutive: 4,
  gateZ: 3,
  gateAfter: 8,
  clipZ: 5,
  maxFrozen: 672,
}

// Winsorizing before a handful of samples would clip against a meaningless variance.
const MIN_SAMPLES_FOR_CLIPPING = 8

export class SignalBaseline {
  /** Samples learned since the last (re)start. */
  n = 0
  mean = 0
  local = 0
  variance = 0
  /** Consecutive samples in drift (|z| > raiseZ in the bad direction and at least minDeviation away). */
  streak = 0
  /** Consecutive samples beyond `gateZ` in the bad direction. */
  gated = 0
  /** Consecutive samples refused without an alarm (counts toward `maxFrozen`). */
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
  private readonly alphaLocalMin: number

  constructor(
    readonly signal: string,
    above: boolean,
    readonly minDeviation: number,
    private readonly params: DriftParams,
    /** The values are residuals of a model that has its own level: the mean stays 0, only the spread is learned. */
    private readonly centered = false,
  ) {
    this.sign = above ? 1 : -1
    // A perfectly steady signal would otherwise give an infinite z for the smallest wobble.
    this.sigmaFloor = minDeviation / 10
    this.alphaMin = 1 / Math.max(1, params.span)
    this.alphaLocalMin = 1 / Math.max(1, params.localSpan)
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

    if (warm && z > this.params.gateZ) this.gated++
    else this.gated = 0
    if (beyondThreshold) return this.inDrift
    if (warm && this.inDrift) return true
    if (warm && this.gated >= this.params.gateAfter) {
      // Frozen without an alarm: a shift too small to report. Only this kind of freeze may end in
      // accepting the new level, so a reported drift is never silently re-baselined away.
      if (++this.frozen >= this.params.maxFrozen) this.restart()
      return false
    }
    this.frozen = 0
    let v = x
    if (this.n >= MIN_SAMPLES_FOR_CLIPPING) {
      const limit = this.params.clipZ * sigma
      if (v > this.mean + limit) v = this.mean + limit
      else if (v < this.mean - limit) v = this.mean - limit
    }
    this.n++
    const alpha = Math.max(1 / this.n, this.alphaMin)
    if (!this.centered) this.mean += alpha * (v - this.mean)
    // Welford's update while both means still weigh samples equally (then local === mean).
    const dl = v - this.local
    this.local += Math.max(1 / this.n, this.alphaLocalMin) * dl
    this.variance = (1 - alpha) * (this.variance + alpha * dl * dl)
    return this.inDrift
  }

  /** The reading had no usable value for this signal: no evidence either way, streak kept. */
  skip(): void {
    this.observed = false
  }

  get inDrift(): boolean {
    return this.streak >= this.params.consecutive
  }

  /** Drift evidence has faded (or there is none): below `clearZ`, or closer than the minimum deviation. */
  get calm(): boolean {
    if (!this.observed || !this.warm) return true
    return this.lastZ < this.params.clearZ || this.lastDeviation < this.minDeviation
  }

  restart(): void {
    this.n = 0
    this.mean = 0
    this.local = 0
    this.variance = 0
    this.streak = 0
    this.gated = 0
    this.frozen = 0
    this.last = Number.NaN
    this.lastMean = 0
    this.lastZ = 0
    this.lastDeviation = 0
  }
}

export type StepOutcome = 'inactive' | 'raised' | 'escalated' | 'active' | 'cleared'

/** Hysteresis state of one anomaly type for one vehicle. */
export class RuleState {
  active = false
  /** Consecutive readings on the safe side of the clear level while active. */
  clearCount = 0
  /** Highest severity rank (0 Low .. 3 Critical) since the type became active; -1 when inactive. */
  peak = -1
  lastValue = Number.NaN
  /** Severity rank last reported, carried over readings that lack the rule's signal. */
  lastRank = 0
  justRaised = false
  justEscalated = false

  /**
   * Advances the hysteresis by one reading. `evidence` is the severity rank the reading supports
   * (-1 none); `hasValue` whether the rule's signal was usable; `safe` whether it was on the safe
   * side of the clear level with no drift left. A reading without a usable value neither advances
   * nor resets the clear count; one between the clear level and the threshold resets it.
   */
  step(evidence: number, hasValue: boolean, safe: boolean, clearAfter: number): StepOutcome {
    this.justRaised = false
    this.justEscalated = false
    if (!this.active) {
      if (evidence < 0) return 'inactive'
      this.active = true
      this.justRaised = true
      this.peak = evidence
      this.clearCount = 0
      return 'raised'
    }
    if (evidence >= 0) {
      this.clearCount = 0
      if (evidence <= this.peak) return 'active'
      this.peak = evidence
      this.justEscalated = true
      return 'escalated'
    }
    if (!hasValue) return 'active'
    if (!safe) {
      this.clearCount = 0
      return 'active'
    }
    if (++this.clearCount < clearAfter) return 'active'
    this.active = false
    this.clearCount = 0
    this.peak = -1
    return 'cleared'
  }
}

// The explained-drift model lives in its own module; re-exported so existing importers keep working.
export { LagModel } from './lag-model.js'
