import { SIGNAL_RANGES } from '../schemas/signal-ranges.js'
import { NUMERIC_FIELDS, type NumericField, type TelemetryReading } from '../schemas/telemetry.js'

export interface SignalQualityOptions {
  /** Identical consecutive values of a normally varying signal before it counts as stuck. Default 16. */
  stuckReadings: number
  /** Readings over which the share of readings with an implausible value is measured. Default 64. */
  window: number
}

export const DEFAULT_SIGNAL_QUALITY: SignalQualityOptions = { stuckReadings: 16, window: 64 }

const FIELDS = NUMERIC_FIELDS as readonly NumericField[]
const MINS = Float64Array.from(FIELDS, (f) => SIGNAL_RANGES[f].min)
const MAXS = Float64Array.from(FIELDS, (f) => SIGNAL_RANGES[f].max)
/** Field indices watched for a stuck sensor. */
const VARYING = FIELDS.flatMap((f, i) => (SIGNAL_RANGES[f].varies ? [i] : []))
/**
 * Changes of value a signal must have shown on this vehicle before a constant run counts as
 * stuck: "normally varies" is judged on the vehicle's own data, so a feed that was constant from
 * its first reading (a test rig, a simulator without noise) is not called broken.
 */
const MIN_CHANGES = 8

export interface StuckSignal {
  signal: NumericField
  value: number
  readings: number
}

/**
 * One vehicle's data quality as its readings arrive: which values were physically implausible
 * (per signal, since start), the share of recent readings that had one, and whether a signal
 * that normally varies has stopped moving. Fixed size; a few comparisons per reading.
 */
export class SignalQuality {
  /** Implausible values per signal since the service started (only signals that had one). */
  readonly invalid: Partial<Record<NumericField, number>> = {}
  invalidTotal = 0
  readings = 0
  private readonly recent: Uint8Array
  private recentHead = 0
  private recentFilled = 0
  private recentInvalid = 0
  private readonly lastValues = new Float64Array(VARYING.length).fill(Number.NaN)
  private readonly runs = new Uint32Array(VARYING.length)
  private readonly changes = new Uint32Array(VARYING.length)

  constructor(private readonly options: SignalQualityOptions = DEFAULT_SIGNAL_QUALITY) {
    this.recent = new Uint8Array(Math.max(1, options.window))
  }

  /**
   * Replaces every implausible value of `reading` by null, in place, and counts it; then, for a
   * reading in order (`ordered`), folds it into the recent share and the stuck-sensor runs, which
   * assume timestamp order. Returns how many values were replaced.
   */
  inspect(reading: TelemetryReading, ordered = true): number {
    const values = reading as unknown as Record<string, number | null>
    let bad = 0
    for (let i = 0; i < FIELDS.length; i++) {
      const field = FIELDS[i]!
      const v = values[field]
      if (v === null || v === undefined) continue
      if (v >= MINS[i]! && v <= MAXS[i]!) continue
      values[field] = null
      this.invalid[field] = (this.invalid[field] ?? 0) + 1
      bad++
    }
    this.invalidTotal += bad
    if (!ordered) return bad
    this.readings++
    const flag = bad > 0 ? 1 : 0
    if (this.recentFilled === this.recent.length) this.recentInvalid -= this.recent[this.recentHead]!
    else this.recentFilled++
    this.recent[this.recentHead] = flag
    this.recentInvalid += flag
    this.recentHead = (this.recentHead + 1) % this.recent.length
    for (let k = 0; k < VARYING.length; k++) {
      const v = values[FIELDS[VARYING[k]!]!]
      if (typeof v !== 'number') {
        this.runs[k] = 0
        continue
      }
      if (v === this.lastValues[k]) this.runs[k]!++
      else {
        if (!Number.isNaN(this.lastValues[k]!)) this.changes[k]!++
        this.runs[k] = 1
      }
      this.lastValues[k] = v
    }
    return bad
  }

  /** Share of the recent window's readings that had an implausible value (0 before any reading). */
  get invalidShare(): number {
    return this.recentFilled === 0 ? 0 : this.recentInvalid / this.recentFilled
  }

  /** Readings in the recent window (the share means little until it fills). */
  get windowFill(): number {
    return this.recentFilled
  }

  /** The longest-running stuck signal, or null when every varying signal still moves. */
  stuck(): StuckSignal | null {
    let best = -1
    for (let k = 0; k < VARYING.length; k++) {
      if (this.changes[k]! < MIN_CHANGES || this.runs[k]! < this.options.stuckReadings) continue
      if (best < 0 || this.runs[k]! > this.runs[best]!) best = k
    }
    if (best < 0) return null
    return { signal: FIELDS[VARYING[best]!]!, value: this.lastValues[best]!, readings: this.runs[best]! }
  }

  /** At a discontinuity (the replay looping): a value equal across the jump is no evidence of a stuck sensor. */
  rebase(): void {
    this.runs.fill(0)
    this.lastValues.fill(Number.NaN)
  }
}
