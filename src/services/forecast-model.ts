import type { ServiceCenter } from '../db/schema.js'
import { isUrgent, type RulMethod, type Severity } from '../domain.js'
import { dateKey, localDate, wallClock, zonedTimeToUtc } from '../lib/zoned-time.js'
import type { BookingShare, DemandForecast, ForecastDay } from '../schemas/forecast.js'
import { centerSlotStarts, DAY_MS } from './slot-grid.js'

/**
 * The service demand forecast as pure computation (no I/O): a centre's expected visits per local
 * day = its confirmed bookings + its pending proposals and the open, unbooked episodes routed to
 * it, each times the probability that its visit falls that day and that its owner books at all.
 */

export const HORIZON_DAYS = 14
/**
 * Before there is history, assume 60 % of owners book, worth 10 episodes: ten real ones move the
 * share halfway to what they show. Below THIN_HISTORY decided episodes the forecast says so.
 */
export const SHARE_PRIOR = { mean: 0.6, weight: 10 } as const
export const THIN_HISTORY = 20
/** Urgent episodes are booked at the earliest slot: their visit falls within these days. */
export const URGENT_WINDOW_DAYS: Readonly<Record<'High' | 'Critical', number>> = { Critical: 1, High: 3 }
/** With no RUL estimate, a non-urgent visit is spread evenly over this many days from now. */
export const UNKNOWN_RUL_WINDOW_DAYS: Readonly<Record<'Low' | 'Medium', number>> = { Medium: 14, Low: 30 }
/** The interval's quantiles (an 80 % interval), and the normal quantile of its upper end. */
const Q_LOW = 0.1
const Q_HIGH = 0.9
const Z80 = 1.2816
const MAX_EXACT_TRIALS = 300

export interface ForecastBooking {
  appointment_time: Date
  status: 'PENDING' | 'CONFIRMED' | 'COMPLETED'
}

export interface ForecastEpisode {
  severity: Severity
  rul_days: number | null
  rul_low_days: number | null
  rul_high_days: number | null
  rul_method: RulMethod | null
  /** When the estimate was made (the reading's time): the RUL counts from here. */
  estimated_at: Date
  /** The share of this episode's visit that goes to this centre (routing), 0..1. */
  weight: number
}

export interface ForecastInput {
  center: ServiceCenter
  now: Date
  /** The centre's live bookings (not CANCELLED) in the horizon. */
  bookings: readonly ForecastBooking[]
  /** Open maintenance episodes whose vehicle has no live booking. */
  episodes: readonly ForecastEpisode[]
  /** Decided past episodes and how many led to a confirmed booking. */
  history: { episodes: number; booked: number }
  /**
   * Faults not yet detected: new maintenance episodes expected per day at this centre (the fleet's
   * recent rate, routed), each booked at the same share; their visit is counted on the day they open.
   */
  arrivalsPerDay?: number
  horizonDays?: number
}

export function bookingShare(history: { episodes: number; booked: number }): BookingShare {
  const n = history.episodes + SHARE_PRIOR.weight
  const value = (history.booked + SHARE_PRIOR.mean * SHARE_PRIOR.weight) / n
  const sd = Math.sqrt((value * (1 - value)) / (n + 1))
  const clamp = (x: number) => Math.min(1, Math.max(0, x))
  return {
    value,
    low: clamp(value - Z80 * sd),
    high: clamp(value + Z80 * sd),
    episodes: history.episodes,
    booked: history.booked,
  }
}

/** P(visit at or before t), t in ms. Mass before `now` is overdue: it falls on the first day. */
export type VisitCdf = (t: number) => number

function uniformCdf(from: number, days: number): VisitCdf {
  const span = Math.max(days, 1e-6) * DAY_MS
  return (t) => Math.min(1, Math.max(0, (t - from) / span))
}

/** The piecewise-linear CDF through the estimate's 10 / 50 / 90 % points, with short tails. */
function rulCdf(e: ForecastEpisode, median: number): VisitCdf {
  const low = Math.min(e.rul_low_days ?? median / 2, median)
  const high = Math.max(e.rul_high_days ?? median * 2, median)
  const q = [Math.max(0, low - (median - low) / 4), low, median, high, high + (high - median) / 4]
  const p = [0, Q_LOW, 0.5, Q_HIGH, 1]
  const t0 = e.estimated_at.getTime()
  return (t) => {
    const x = (t - t0) / DAY_MS
    if (x < q[0]!) return 0
    for (let i = 0; i < 4; i++) {
      if (x < q[i + 1]!) return p[i]! + ((p[i + 1]! - p[i]!) * (x - q[i]!)) / (q[i + 1]! - q[i]!)
    }
    return 1
  }
}

/** When an open episode's visit happens, as a distribution over time. */
export function visitCdf(e: ForecastEpisode, now: Date): VisitCdf {
  const t = now.getTime()
  const median = e.rul_days
  if (e.severity === 'High' || e.severity === 'Critical') {
    // Urgent: the earliest slot, sooner still if the estimate says it is due earlier.
    const due =
      median === null
        ? Infinity
        : (e.estimated_at.getTime() + (e.rul_high_days ?? median) * DAY_MS - t) / DAY_MS
    return uniformCdf(t, Math.min(URGENT_WINDOW_DAYS[e.severity], Math.max(0.5, due)))
  }
  if (median === null || e.rul_method === 'insufficient-trend') {
    return uniformCdf(t, UNKNOWN_RUL_WINDOW_DAYS[e.severity])
  }
  return rulCdf(e, median)
}

/** Quantiles of a sum of independent Bernoulli trials plus a Poisson count (exact, by convolution). */
function countQuantiles(probabilities: readonly number[], poissonMean = 0): { low: number; high: number } {
  const live = probabilities.filter((p) => p > 1e-9)
  // Past a few hundred trials the convolution costs too much per request and the normal is close.
  if (live.length > MAX_EXACT_TRIALS) {
    const mean = live.reduce((a, p) => a + p, 0) + poissonMean
    const sd = Math.sqrt(live.reduce((a, p) => a + p * (1 - p), 0) + poissonMean)
    return { low: Math.max(0, Math.floor(mean - Z80 * sd)), high: Math.ceil(mean + Z80 * sd) }
  }
  let dist = [1]
  for (const p of live) {
    const next = new Array<number>(dist.length + 1).fill(0)
    for (let k = 0; k < dist.length; k++) {
      next[k]! += dist[k]! * (1 - p)
      next[k + 1]! += dist[k]! * p
    }
    dist = next
  }
  if (poissonMean > 1e-9) {
    const pmf = [Math.exp(-poissonMean)]
    while (pmf.length < 10 + poissonMean * 4) pmf.push((pmf.at(-1)! * poissonMean) / pmf.length)
    const next = new Array<number>(dist.length + pmf.length - 1).fill(0)
    for (let i = 0; i < dist.length; i++)
      for (let j = 0; j < pmf.length; j++) next[i + j]! += dist[i]! * pmf[j]!
    dist = next
  }
  let acc = 0
  let low = -1
  let high = -1
  for (let k = 0; k < dist.length; k++) {
    acc += dist[k]!
    if (low < 0 && acc >= Q_LOW - 1e-12) low = k
    if (high < 0 && acc >= Q_HIGH - 1e-12) high = k
  }
  return { low: Math.max(0, low), high: Math.max(0, high) }
}

/** The first instant of a local day (midnight, or the first minute that exists after a DST jump). */
function localDayStart(date: { year: number; month: number; day: number }, timeZone: string): Date {
  for (let m = 0; m < 24 * 60; m += 15) {
    const at = zonedTimeToUtc(date, m, timeZone)
    if (at) return at
  }
  return new Date(Date.UTC(date.year, date.month - 1, date.day))
}

/** The centre's local days from today: key and [start, end) instants. */
export function localDays(now: Date, timeZone: string, count: number) {
  const today = wallClock(now, timeZone)
  const base = Date.UTC(today.year, today.month - 1, today.day)
  const dates = Array.from({ length: count + 1 }, (_, i) => {
    const d = new Date(base + i * DAY_MS)
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }
  })
  const starts = dates.map((d) => localDayStart(d, timeZone))
  return dates.slice(0, count).map((d, i) => ({ date: dateKey(d), start: starts[i]!, end: starts[i + 1]! }))
}

const round2 = (x: number) => Math.round(x * 100) / 100

export function forecastDemand(input: ForecastInput): DemandForecast {
  const { center, now } = input
  const horizon = input.horizonDays ?? HORIZON_DAYS
  const tz = center.timezone
  const share = bookingShare(input.history)
  const days = localDays(now, tz, horizon)
  const confirmed = new Map<string, number>()
  const pending = new Map<string, number>()
  for (const b of input.bookings) {
    const key = localDate(b.appointment_time, tz)
    const into = b.status === 'PENDING' ? pending : confirmed
    into.set(key, (into.get(key) ?? 0) + 1)
  }
  const cdfs = input.episodes.map((e) => ({ weight: e.weight, cdf: visitCdf(e, now) }))

  const out: ForecastDay[] = days.map((day, i) => {
    const booked = confirmed.get(day.date) ?? 0
    const proposals = pending.get(day.date) ?? 0
    // Day 0 takes everything due before its end, overdue visits included.
    const mass = cdfs.map(
      ({ weight, cdf }) => weight * (cdf(day.end.getTime()) - (i === 0 ? 0 : cdf(day.start.getTime()))),
    )
    const trials = (s: number) => [...mass.map((m) => m * s), ...Array<number>(proposals).fill(s)]
    // New faults arrive evenly; today only for what is left of it.
    const left = i === 0 ? (day.end.getTime() - now.getTime()) / (day.end.getTime() - day.start.getTime()) : 1
    const arrivals = (input.arrivalsPerDay ?? 0) * Math.min(1, Math.max(0, left))
    const expected = booked + trials(share.value).reduce((a, b) => a + b, 0) + arrivals * share.value
    const low = booked + countQuantiles(trials(share.low), arrivals * share.low).low
    const high = booked + countQuantiles(trials(share.high), arrivals * share.high).high
    const capacity = center.bays * centerSlotStarts(center, day.start, day.end).length
    return {
      date: day.date,
      expected: round2(expected),
      expected_low: Math.min(low, Math.floor(expected)),
      expected_high: Math.max(high, Math.ceil(round2(expected))),
      booked,
      pending: proposals,
      new_faults: round2(arrivals * share.value),
      capacity,
      overloaded: expected > capacity,
      at_risk: high > capacity,
    }
  })
  return {
    center_id: center.id,
    generated_at: now.toISOString(),
    timezone: tz,
    horizon_days: horizon,
    booking_share: share,
    open_episodes: round2(input.episodes.reduce((a, e) => a + e.weight, 0)),
    arrivals_per_day: Math.round((input.arrivalsPerDay ?? 0) * 1000) / 1000,
    days: out,
    warnings: warnings(input, share, out),
  }
}

function warnings(input: ForecastInput, share: BookingShare, days: readonly ForecastDay[]): string[] {
  const w: string[] = []
  if (share.episodes < THIN_HISTORY) {
    w.push(
      `Thin history: the share of owners who book is learned from only ${share.episodes} past episode${share.episodes === 1 ? '' : 's'}, ` +
        `so ${Math.round(share.value * 100)} % is mostly an assumption and the ranges are wide.`,
    )
  }
  const unknown = input.episodes.filter((e) => e.rul_days === null && !isUrgent(e.severity)).length
  if (unknown > 0) {
    w.push(
      `${unknown} open episode${unknown === 1 ? ' has' : 's have'} no remaining-life estimate: ` +
        'their visits are spread evenly over the coming weeks.',
    )
  }
  for (const d of days) {
    if (d.overloaded)
      w.push(
        `${d.date} is overloaded: about ${d.expected.toFixed(1)} visits expected for ${d.capacity} slots.`,
      )
    else if (d.at_risk)
      w.push(`${d.date} may overload: up to ${d.expected_high} visits for ${d.capacity} slots.`)
  }
  return w
}
