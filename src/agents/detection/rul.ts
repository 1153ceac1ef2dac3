import type { Severity } from '../../domain.js'

/**
 * Remaining useful life (RUL) in days.
 *
 * Formula, per degrading quantity y (battery SoH, falling to its end-of-life limit 0.7; brake pad
 * wear, rising to 0.8):
 *   1. Readings are averaged into buckets of `bucketSize` readings (default 24 = 6 h at 15 min); the
 *      last `maxBuckets` bucket means (default 240 = 60 days) form the history window (bounded
 *      memory, ~2 KB per quantity; running sums make the refit O(1) per bucket).
 *   2. Ordinary least squares over the window, t in days:
 *        slope = sum((t - mean_t)(y - mean_y)) / sum((t - mean_t)^2)
 *   3. level = the fitted line at the newest bucket (less noisy than the last raw value).
 *   4. If the window spans >= `minSpanDays` (1 day) and the slope degrades faster than `minSlopePerDay`:
 *        days = (level - limit) / -slope     (SoH)
 *        days = (limit - level) / slope      (brake wear)
 *      Otherwise (short history, flat or improving trend) the fallback is the headroom at a nominal
 *      fleet rate: SoH 0.02 per 365 days, brake wear 0.25 per 365 days, applied to the latest
 *      smoothed value:  days = headroom / (rate / 365).
 *   5. A quantity already at or past its limit gives 0; one never seen gives the cap.
 *   RUL = min(battery days, brake days, cap = 3650), rounded to 0.1 day, never negative.
 * `urgentRul` then caps it while a High/Critical anomaly is active (the component needs service
 * soon regardless of the long-term trend).
 */

export const DEFAULT_RUL_OPTIONS = {
  /** End-of-life limits: SoH falls to it, brake pad wear rises to it. */
  sohLimit: 0.7,
  brakeLimit: 0.8,
  /** Upper bound of any estimate, days. */
  capDays: 3650,
  /** Nominal fleet rates for the fallback, per 365 days. */
  nominalSohLossPerYear: 0.02,
  nominalBrakeWearPerYear: 0.25,
  bucketSize: 24,
  maxBuckets: 240,
  minSpanDays: 1,
  /** Slopes smaller than this (per day) count as flat. */
  minSlopePerDay: 1e-6,
  /** RUL cap while an anomaly of this severity is active, days. */
  urgencyDays: { Critical: 3, High: 14 },
}
export type RulOptions = typeof DEFAULT_RUL_OPTIONS

// Smoothing of the latest level for the fallback; a raw single reading would make the estimate jitter.
const LEVEL_ALPHA = 0.1

/**
 * Bucketed least-squares trend of one quantity over a bounded window. The regression sums are kept
 * as running sums (add the new bucket, subtract the evicted one) and recomputed from scratch each
 * time the ring wraps, so rounding error cannot accumulate.
 */
export class TrendSeries {
  // Float32 halves the per-vehicle memory; the values are rounded before entering the sums so the
  // running sums and the stored points agree exactly.
  private readonly ts: Float32Array
  private readonly ys: Float32Array
  private head = 0
  private size = 0
  private bucketN = 0
  private bucketT = 0
  private bucketY = 0
  private st = 0
  private sy = 0
  private stt = 0
  private sty = 0
  /** Exponentially smoothed recent value; NaN until the first sample. */
  level = Number.NaN
  /** Least-squares slope per day and fitted value at the newest bucket; NaN while not fitted. */
  slope = Number.NaN
  fitted = Number.NaN
  spanDays = 0

  constructor(
    private readonly bucketSize: number,
    maxBuckets: number,
  ) {
    this.ts = new Float32Array(Math.max(3, maxBuckets))
    this.ys = new Float32Array(Math.max(3, maxBuckets))
  }

  add(tDays: number, y: number): void {
    this.level = Number.isNaN(this.level) ? y : this.level + LEVEL_ALPHA * (y - this.level)
    this.bucketN++
    this.bucketT += tDays
    this.bucketY += y
    if (this.bucketN < this.bucketSize) return
    const t = Math.fround(this.bucketT / this.bucketN)
    const v = Math.fround(this.bucketY / this.bucketN)
    this.bucketN = 0
    this.bucketT = 0
    this.bucketY = 0
    const cap = this.ts.length
    if (this.size === cap) {
      const ot = this.ts[this.head]!
      const oy = this.ys[this.head]!
      this.st -= ot
      this.sy -= oy
      this.stt -= ot * ot
      this.sty -= ot * oy
    } else this.size++
    this.ts[this.head] = t
    this.ys[this.head] = v
    this.st += t
    this.sy += v
    this.stt += t * t
    this.sty += t * v
    this.head = (this.head + 1) % cap
    if (this.head === 0) this.resum()
    this.fit(t)
  }

  private resum(): void {
    this.st = 0
    this.sy = 0
    this.stt = 0
    this.sty = 0
    for (let i = 0; i < this.size; i++) {
      const t = this.ts[i]!
      const y = this.ys[i]!
      this.st += t
      this.sy += y
      this.stt += t * t
      this.sty += t * y
    }
  }

  private fit(newest: number): void {
    const n = this.size
    if (n < 3) return
    const oldest = n < this.ts.length ? this.ts[0]! : this.ts[this.head]!
    this.spanDays = newest - oldest
    const mt = this.st / n
    const my = this.sy / n
    const sxx = this.stt - n * mt * mt
    const sxy = this.sty - n * mt * my
    // Guard against a degenerate (all timestamps equal) window, where rounding could leave sxx ~ 0.
    if (!(sxx > 1e-9 * n)) {
      this.slope = Number.NaN
      return
    }
    this.slope = sxy / sxx
    this.fitted = my + this.slope * (newest - mt)
  }
}

export interface RulBreakdown {
  days: number
  battery_days: number
  brake_days: number
  /** Whether each estimate came from the measured trend or the nominal fallback. */
  battery_method: 'trend' | 'nominal' | 'none'
  brake_method: 'trend' | 'nominal' | 'none'
}

function trendUsable(series: TrendSeries, falling: boolean, o: RulOptions): boolean {
  const degradingRate = falling ? -series.slope : series.slope
  return series.spanDays >= o.minSpanDays && Number.isFinite(series.slope) && degradingRate > o.minSlopePerDay
}

function project(
  series: TrendSeries,
  limit: number,
  falling: boolean,
  nominalPerYear: number,
  o: RulOptions,
): number {
  if (Number.isNaN(series.level)) return o.capDays
  const sign = falling ? 1 : -1
  if (trendUsable(series, falling, o)) {
    const headroom = sign * (series.fitted - limit)
    return headroom <= 0 ? 0 : Math.min(o.capDays, headroom / (-sign * series.slope))
  }
  const headroom = sign * (series.level - limit)
  return headroom <= 0 ? 0 : Math.min(o.capDays, headroom / (nominalPerYear / 365))
}

function method(series: TrendSeries, falling: boolean, o: RulOptions): RulBreakdown['battery_method'] {
  if (Number.isNaN(series.level)) return 'none'
  return trendUsable(series, falling, o) ? 'trend' : 'nominal'
}

/** Incremental RUL estimator for one vehicle. Feed every reading; `estimate()` is O(1). */
export class RulEstimator {
  readonly soh: TrendSeries
  readonly brake: TrendSeries
  readonly options: RulOptions

  constructor(options: Partial<RulOptions> = {}) {
    this.options = { ...DEFAULT_RUL_OPTIONS, ...options }
    this.soh = new TrendSeries(this.options.bucketSize, this.options.maxBuckets)
    this.brake = new TrendSeries(this.options.bucketSize, this.options.maxBuckets)
  }

  /** `soh`/`brakeWear` may be NaN when the reading lacks a usable value. */
  observe(tDays: number, soh: number, brakeWear: number): void {
    if (!Number.isFinite(tDays)) return
    if (Number.isFinite(soh)) this.soh.add(tDays, soh)
    if (Number.isFinite(brakeWear)) this.brake.add(tDays, brakeWear)
  }

  breakdown(): RulBreakdown {
    const o = this.options
    const battery = project(this.soh, o.sohLimit, true, o.nominalSohLossPerYear, o)
    const brake = project(this.brake, o.brakeLimit, false, o.nominalBrakeWearPerYear, o)
    return {
      days: roundDays(Math.min(battery, brake, o.capDays)),
      battery_days: roundDays(battery),
      brake_days: roundDays(brake),
      battery_method: method(this.soh, true, o),
      brake_method: method(this.brake, false, o),
    }
  }

  estimate(): number {
    const o = this.options
    const battery = project(this.soh, o.sohLimit, true, o.nominalSohLossPerYear, o)
    const brake = project(this.brake, o.brakeLimit, false, o.nominalBrakeWearPerYear, o)
    return roundDays(Math.min(battery, brake, o.capDays))
  }
}

function roundDays(days: number): number {
  if (!(days > 0)) return 0
  return Math.round(days * 10) / 10
}

/** Caps `rulDays` by the urgency of the worst active anomaly (Critical: a few days, High: two weeks). */
export function urgentRul(
  rulDays: number,
  worst: Severity | null,
  options: Pick<RulOptions, 'urgencyDays'>,
): number {
  if (worst === 'Critical') return Math.min(rulDays, options.urgencyDays.Critical)
  if (worst === 'High') return Math.min(rulDays, options.urgencyDays.High)
  return rulDays
}

/**
 * Days since the Unix epoch of an ISO-8601 timestamp, NaN when unusable. A hand-rolled parser for the
 * `YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]` form readings use: `Date.parse` costs ~0.4 us, a fifth of a
 * whole analysis. Anything else falls back to `Date.parse`.
 */
export function isoToEpochDays(iso: string): number {
  const n = iso.length
  if (n >= 20 && iso.charCodeAt(4) === 45 && iso.charCodeAt(7) === 45 && iso.charCodeAt(13) === 58) {
    const y = digits(iso, 0, 4)
    const mo = digits(iso, 5, 2)
    const d = digits(iso, 8, 2)
    const h = digits(iso, 11, 2)
    const mi = digits(iso, 14, 2)
    const s = digits(iso, 17, 2)
    let i = 19
    let frac = 0
    if (iso.charCodeAt(i) === 46) {
      let scale = 0.1
      i++
      for (let c = iso.charCodeAt(i); c >= 48 && c <= 57; c = iso.charCodeAt(++i)) {
        frac += (c - 48) * scale
        scale /= 10
      }
    }
    let offsetMin = Number.NaN
    const z = iso.charCodeAt(i)
    if ((z === 90 || z === 122) && i === n - 1) offsetMin = 0
    else if ((z === 43 || z === 45) && i === n - 6 && iso.charCodeAt(i + 3) === 58) {
      offsetMin = (z === 45 ? -1 : 1) * (digits(iso, i + 1, 2) * 60 + digits(iso, i + 4, 2))
    }
    const valid =
      !Number.isNaN(y) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 24 && mi <= 59 && s <= 60
    if (valid && !Number.isNaN(offsetMin)) {
      const seconds = h * 3600 + mi * 60 + s + frac - offsetMin * 60
      return daysFromCivil(y, mo, d) + seconds / 86400
    }
  }
  return Date.parse(iso) / 86_400_000
}

function digits(s: string, at: number, count: number): number {
  let v = 0
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i) - 48
    if (c < 0 || c > 9) return Number.NaN
    v = v * 10 + c
  }
  return v
}

/** Howard Hinnant's days-from-civil: proleptic Gregorian date to days since 1970-01-01. */
function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
