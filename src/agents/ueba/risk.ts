/**
 * The arithmetic of behaviour analytics, kept pure: risk that decays with a half-life, its
 * bands (Elastic entity risk scoring) and an investigation priority (Sentinel UEBA), and the
 * rolling rate baselines (EWMA mean and variance per hour of day).
 */

export type RiskBand = 'Unknown' | 'Low' | 'Moderate' | 'High' | 'Critical'

/** Elastic's bands over the 0-100 normalised score. */
export function riskBand(score: number): RiskBand {
  if (score < 20) return 'Unknown'
  if (score < 40) return 'Low'
  if (score < 70) return 'Moderate'
  if (score < 90) return 'High'
  return 'Critical'
}

/**
 * 0-10, Sentinel-style: mostly the score, raised one step for a critical asset (an agent that
 * acts on every owner's data, a manufacturer account) so that ties go to what can do more harm.
 */
export function investigationPriority(score: number, criticality: number): number {
  if (score <= 0) return 0
  return Math.min(10, Math.round(score / 10) + (criticality > 1.2 && score >= 40 ? 1 : 0))
}

/** A score that halves every `halfLifeMs`: kept as its value at `at`, decayed when read. */
export interface DecayingScore {
  value: number
  at: number
}

export function decayed(score: DecayingScore, now: number, halfLifeMs: number): number {
  if (score.value <= 0 || now <= score.at) return score.value
  return score.value * 0.5 ** ((now - score.at) / halfLifeMs)
}

/** Adds `points` at `now` (capped at 100). */
export function raise(score: DecayingScore, points: number, now: number, halfLifeMs: number): void {
  score.value = Math.min(100, decayed(score, now, halfLifeMs) + points)
  score.at = Math.max(now, score.at)
}

/** When a score above `threshold` decays below it (now, if it is not above). */
export function fallsBelowAt(score: DecayingScore, threshold: number, halfLifeMs: number): number {
  if (score.value < threshold || threshold <= 0) return score.at
  return score.at + halfLifeMs * Math.log2(score.value / threshold)
}

/** EWMA of a per-minute count: mean, variance and how many minutes it has seen. */
export interface Ewma {
  mean: number
  variance: number
  n: number
}

export const EWMA_ALPHA = 0.1

export function ewma(): Ewma {
  return { mean: 0, variance: 0, n: 0 }
}

/** Folds one observation in (West's incremental form; the first one seeds the mean). */
export function fold(e: Ewma, x: number, alpha = EWMA_ALPHA): void {
  if (e.n === 0) {
    e.mean = x
    e.variance = 0
  } else {
    const diff = x - e.mean
    const incr = alpha * diff
    e.mean += incr
    e.variance = (1 - alpha) * (e.variance + diff * incr)
  }
  e.n++
}

/**
 * The count above which a minute is "uncommonly high": four deviations over the mean, the
 * deviation floored at one event (a perfectly regular entity must not flag on its second event)
 * and at half the mean (Poisson-like noise of busy entities).
 */
export function highVolumeThreshold(e: Ewma): number {
  const sd = Math.max(Math.sqrt(e.variance), 1, Math.sqrt(e.mean) / 2)
  return e.mean + 4 * sd
}

/**
 * The rate of one action of one entity: the current minute's count and a baseline per hour of
 * day (UTC) plus one over all hours, which stands in while an hour is still warming up.
 */
export interface RateBaseline {
  minute: number
  /** This minute's count: of all events, or of the busiest subject's when counted per subject. */
  count: number
  /** Per-subject counts of this minute (an agent's actions per vehicle). */
  subjects?: Map<string, number>
  /** The current minute was flagged already (one flag per minute and rule). */
  flagged: number
  hours: Ewma[]
  all: Ewma
}

export function rateBaseline(): RateBaseline {
  return { minute: -1, count: 0, flagged: 0, hours: Array.from({ length: 24 }, ewma), all: ewma() }
}

/**
 * Counts one event at `t` (ms), per `subject` when given (the minute's count is then its busiest
 * subject's); closes the previous minute into the baselines first and returns its count (0 when
 * the minute goes on). Events from before the current minute (late ones) count in it.
 */
export function countEvent(b: RateBaseline, t: number, subject?: string): number {
  const minute = Math.floor(t / 60_000)
  let closed = 0
  if (minute > b.minute) {
    if (b.minute >= 0 && b.count > 0) {
      const hour = Math.floor(b.minute / 60) % 24
      fold(b.hours[hour]!, b.count)
      fold(b.all, b.count)
      closed = b.count
    }
    b.minute = minute
    b.count = 0
    b.flagged = 0
    b.subjects?.clear()
  }
  if (subject === undefined) b.count++
  else {
    b.subjects ??= new Map()
    const n = (b.subjects.get(subject) ?? 0) + 1
    b.subjects.set(subject, n)
    if (n > b.count) b.count = n
  }
  return closed
}

/** The baseline to compare the current minute with, once it has `warmup` minutes behind it. */
export function warmBaseline(b: RateBaseline, warmup: number): Ewma | undefined {
  const hour = b.hours[Math.floor(b.minute / 60) % 24]!
  if (hour.n >= warmup) return hour
  return b.all.n >= warmup ? b.all : undefined
}
