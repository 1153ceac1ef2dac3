/**
 * Remaining useful life of one episode: the time until its signal crosses the next limit of its rule
 * (the hard limit, then the critical level, then the component's end of life), from a robust trend
 * fitted on the vehicle's recent readings. Pure; it runs when an episode opens or escalates, never
 * per reading.
 *
 * Method (`theil-sen`):
 *   1. The readings of the last `windowHours` that measure the signal are grouped into `buckets`
 *      equal time bins; each bin's median is one point (a drive's heat spike or one glitch moves a
 *      median little).
 *   2. Theil-Sen slope: the median of the pairwise slopes of those points, with Sen's rank interval
 *      (Kendall's S variance) at the `coverage` level.
 *   3. Mann-Kendall: unless the rise (or fall) toward the limit is significant (one-sided, 5 % over
 *      all windows tried) and the interval excludes zero, the data support no trend and the
 *      estimate is unknown (`insufficient-trend`), never a guess. Windows are tried shortest
 *      first (3 h to 60 h): the shortest with a trend follows a ramp that is still steepening.
 *   4. Level now: the median, over the newest points, of y - slope * (t - now).
 *   5. Days to the limit = headroom / slope; the interval divides the headroom by the slope's
 *      interval bounds, widened by `spread` for what a straight line cannot know (a ramp that is still
 *      steepening or about to level off).
 * Already past every limit: 0 days (`crossed`). Cost: per window tried, O(n) bucketing plus
 * O(B^2 log B) for B <= 24 points: under 1 ms on a 240-reading ring (bench/rul.ts), once per
 * episode opening or escalation, never per reading.
 */

import { type RulEstimate, UNKNOWN_RUL } from '../../schemas/rul.js'

export type { RulEstimate } from '../../schemas/rul.js'
export { UNKNOWN_RUL } from '../../schemas/rul.js'

export interface RulFitOptions {
  /** Candidate windows, shortest first: the shortest that shows a significant trend is used. */
  windowsHours: readonly number[]
  buckets: number
  /** Points that must hold a value before any trend is fitted. */
  minPoints: number
  /** False-trend rate on trendless noise, over all windows together (Mann-Kendall, one-sided). */
  trendAlpha: number
  /** Two-sided coverage of the interval. */
  coverage: number
  /** Newest points whose residual median gives the current level. */
  levelPoints: number
  /** Only points at least this far apart are compared (a cycle the signal follows); 0: all pairs. */
  minPairHours: number
  /** Multiplicative widening of the interval for model error: [low / spread, high * spread]. */
  spread: number
}

export const DEFAULT_RUL_FIT: RulFitOptions = {
  windowsHours: [3, 6, 12, 24, 48, 60],
  minPairHours: 0,
  buckets: 24,
  minPoints: 6,
  trendAlpha: 0.05,
  coverage: 0.8,
  levelPoints: 3,
  spread: 2.5,
}

/** The signal's readings, oldest first: time in days (any origin) and value, NaN when not measured. */
export interface SignalSeries {
  t: ArrayLike<number>
  y: ArrayLike<number>
}

export interface RulTarget {
  /** True when the signal degrades upwards (temperature, vibration, wear). */
  above: boolean
  /** The levels to reach, in the order the signal meets them. */
  limits: readonly number[]
}

function median(xs: number[]): number {
  xs.sort((a, b) => a - b)
  const m = xs.length >> 1
  return xs.length % 2 === 1 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2
}

// Standard normal quantile (Acklam's rational approximation; |error| < 1.2e-9, plenty for an interval).
function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const q = p < 0.5 ? p : 1 - p
  let x: number
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q))
    x =
      (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) /
      ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1)
    x = -x
  } else {
    const r = q - 0.5
    const s = r * r
    x =
      ((((((a[0]! * s + a[1]!) * s + a[2]!) * s + a[3]!) * s + a[4]!) * s + a[5]!) * r) /
      (((((b[0]! * s + b[1]!) * s + b[2]!) * s + b[3]!) * s + b[4]!) * s + 1)
  }
  return p < 0.5 ? -Math.abs(x) : Math.abs(x)
}

/** Bucket medians of the window ending at the newest measured reading. */
function bucketPoints(
  series: SignalSeries,
  hours: number,
  o: RulFitOptions,
): { t: number[]; y: number[]; now: number } {
  const n = series.t.length
  let now = Number.NaN
  for (let i = n - 1; i >= 0; i--) {
    if (Number.isFinite(series.y[i]!) && Number.isFinite(series.t[i]!)) {
      now = series.t[i]!
      break
    }
  }
  if (Number.isNaN(now)) return { t: [], y: [], now }
  const span = hours / 24
  const width = span / o.buckets
  const start = now - span
  const bins: number[][] = Array.from({ length: o.buckets }, () => [])
  const times: number[][] = Array.from({ length: o.buckets }, () => [])
  for (let i = 0; i < n; i++) {
    const t = series.t[i]!
    const y = series.y[i]!
    if (!(t > start) || t > now || !Number.isFinite(y)) continue
    const k = Math.min(o.buckets - 1, Math.floor((t - start) / width))
    bins[k]!.push(y)
    times[k]!.push(t)
  }
  const t: number[] = []
  const y: number[] = []
  for (let k = 0; k < o.buckets; k++) {
    if (bins[k]!.length === 0) continue
    t.push(median(times[k]!))
    y.push(median(bins[k]!))
  }
  return { t, y, now }
}

interface SenFit {
  slope: number
  low: number
  high: number
  /** Mann-Kendall z of the compared pairs (positive: rising). */
  z: number
}

/** Theil-Sen slope with Sen's rank interval at `coverage` (two-sided). */
function senSlope(t: number[], y: number[], coverage: number, minPairDays: number): SenFit | null {
  const n = t.length
  const slopes: number[] = []
  let pairs = 0
  let s = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dt = t[j]! - t[i]!
      if (dt > 0) pairs++
      if (dt > 0 && dt >= minPairDays) {
        const d = y[j]! - y[i]!
        slopes.push(d / dt)
        s += d > 0 ? 1 : d < 0 ? -1 : 0
      }
    }
  }
  const m = slopes.length
  if (m < 3) return null
  const share = m / Math.max(1, pairs)
  const sd = Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18) * share
  slopes.sort((a, b) => a - b)
  const slope = m % 2 === 1 ? slopes[m >> 1]! : (slopes[(m >> 1) - 1]! + slopes[m >> 1]!) / 2
  const z = normalQuantile(1 - (1 - coverage) / 2)
  // Sen's rank half-width, scaled to the share of pairs compared.
  const c = z * sd
  const lo = Math.floor((m - c) / 2)
  const hi = Math.ceil((m + c) / 2)
  return {
    slope,
    low: lo >= 0 ? slopes[lo]! : Number.NEGATIVE_INFINITY,
    high: hi < m ? slopes[hi]! : Number.POSITIVE_INFINITY,
    z: sd > 0 ? s / sd : 0,
  }
}

const round = (days: number) => Math.round(days * 1000) / 1000

interface TrendFit extends SenFit {
  level: number
}

/** The shortest candidate window with a significant degrading trend, or null. */
function fitTrend(series: SignalSeries, sign: number, o: RulFitOptions): TrendFit | null {
  // Several windows are tried: each must pass a one-sided test at alpha / windows (Bonferroni), so
  // that noise does not find a trend in one of them by chance.
  const zTrend = normalQuantile(1 - o.trendAlpha / Math.max(1, o.windowsHours.length))
  for (const hours of o.windowsHours) {
    const { t, y, now } = bucketPoints(series, hours, o)
    if (t.length < o.minPoints) continue
    const fit = senSlope(t, y, o.coverage, o.minPairHours / 24)
    if (fit === null || sign * fit.z < zTrend) continue
    const rateLow = sign > 0 ? fit.low : -fit.high
    if (!(rateLow > 0)) continue
    const k = Math.min(o.levelPoints, t.length)
    const residuals: number[] = []
    for (let i = t.length - k; i < t.length; i++) residuals.push(y[i]! - fit.slope * (t[i]! - now))
    return { ...fit, level: median(residuals) }
  }
  return null
}

function newestValue(series: SignalSeries): number {
  for (let i = series.y.length - 1; i >= 0; i--) {
    if (Number.isFinite(series.y[i]!) && Number.isFinite(series.t[i]!)) return series.y[i]!
  }
  return Number.NaN
}

/** The RUL of one signal toward `target` from its recent `series`; see the module comment. */
export function estimateRul(
  series: SignalSeries,
  target: RulTarget,
  options: RulFitOptions = DEFAULT_RUL_FIT,
): RulEstimate {
  const newest = newestValue(series)
  if (Number.isNaN(newest)) return UNKNOWN_RUL
  const sign = target.above ? 1 : -1
  const last = target.limits[target.limits.length - 1]
  // Past every limit needs no trend: the reading says so.
  if (last !== undefined && sign * (newest - last) >= 0) {
    return { rul_days: 0, rul_low_days: 0, rul_high_days: 0, rul_method: 'crossed', rul_limit: last }
  }
  const fit = fitTrend(series, sign, options)
  if (fit === null) return UNKNOWN_RUL
  const rate = sign * fit.slope
  const rateLow = sign > 0 ? fit.low : -fit.high
  const rateHigh = sign > 0 ? fit.high : -fit.low
  // A limit the newest reading or the fitted level has passed is behind us: count to the next one.
  const here = sign > 0 ? Math.max(newest, fit.level) : Math.min(newest, fit.level)
  const limit = target.limits.find((l) => sign * (l - here) > 0)
  if (limit === undefined) {
    return { rul_days: 0, rul_low_days: 0, rul_high_days: 0, rul_method: 'crossed', rul_limit: last ?? null }
  }
  const headroom = Math.max(0, sign * (limit - fit.level))
  const spread = Math.max(1, options.spread)
  return {
    rul_days: round(headroom / rate),
    rul_low_days: round(headroom / rateHigh / spread),
    rul_high_days: round((headroom / rateLow) * spread),
    rul_method: 'theil-sen',
    rul_limit: limit,
  }
}
