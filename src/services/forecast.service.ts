import type { OpenEpisodeRow } from '../db/repositories/forecast.js'
import type { Repositories } from '../db/repositories/index.js'
import type { ServiceCenter } from '../db/schema.js'
import { SEVERITY_RANK } from '../domain.js'
import { AppError } from '../errors.js'
import type { DemandForecast } from '../schemas/forecast.js'
import { type ForecastEpisode, forecastDemand, HORIZON_DAYS } from './forecast-model.js'
import { DAY_MS } from './slot-grid.js'

/** A centre's bookable visits on an ordinary day: what an unrouted vehicle's share is weighed by. */
export function dailyCapacity(c: ServiceCenter): number {
  return c.bays * Math.floor(((c.closing_hour - c.opening_hour) * 60) / c.slot_minutes)
}

/** The trailing window the fleet's rate of new episodes is learned over. */
export const ARRIVAL_WINDOW_DAYS = 28

/**
 * New maintenance episodes per day: those detected in the trailing window over the days it
 * covers (fewer when the record is younger, at least one day). Pure.
 */
export function arrivalRate(count: number, first: Date | null, now: Date): number {
  if (first === null || count === 0) return 0
  const days = Math.min(ARRIVAL_WINDOW_DAYS, Math.max(1, (now.getTime() - first.getTime()) / DAY_MS))
  return count / days
}

/**
 * Where each open, unbooked episode's visit goes: the centre of the vehicle's latest booking; a
 * vehicle that never booked is split over the centres by their capacity, since the agents offer
 * the earliest free slot at any centre and so fill them roughly in that proportion. Pure.
 */
export function routeEpisodes(
  rows: readonly OpenEpisodeRow[],
  context: {
    centers: readonly ServiceCenter[]
    booked: ReadonlySet<string>
    homes: ReadonlyMap<string, string>
    now: Date
  },
): Map<string, ForecastEpisode[]> {
  const { centers, booked, homes, now } = context
  const total = centers.reduce((a, c) => a + dailyCapacity(c), 0)
  const byCenter = new Map<string, ForecastEpisode[]>(centers.map((c) => [c.id, []]))
  // One visit per vehicle covers all its episodes: the worst one stands for the rest.
  const seen = new Set<string>()
  const ordered = [...rows].sort((a, b) => severityOrder(b) - severityOrder(a))
  for (const row of ordered) {
    if (booked.has(row.vehicle_id) || seen.has(row.vehicle_id)) continue
    seen.add(row.vehicle_id)
    // The time since the estimate on the vehicle's clock (to its latest reading), placed before the
    // server's now: a replay of old data keeps the vehicles' clock behind it, and would otherwise
    // make every estimate look long overdue.
    const anchor = row.rul_estimated_at ?? row.detected_at
    const elapsed = Math.max(0, row.last_seen_at.getTime() - anchor.getTime())
    const base: Omit<ForecastEpisode, 'weight'> = {
      severity: row.severity,
      rul_days: row.rul_prediction,
      rul_low_days: row.rul_low_days,
      rul_high_days: row.rul_high_days,
      rul_method: row.rul_method,
      estimated_at: new Date(now.getTime() - elapsed),
    }
    const home = homes.get(row.vehicle_id)
    if (home && byCenter.has(home)) {
      byCenter.get(home)!.push({ ...base, weight: 1 })
      continue
    }
    for (const c of centers) {
      if (total > 0) byCenter.get(c.id)!.push({ ...base, weight: dailyCapacity(c) / total })
    }
  }
  return byCenter
}

function severityOrder(row: OpenEpisodeRow): number {
  // Sooner estimates first among equals: the visit is needed by the earliest one.
  return SEVERITY_RANK[row.severity] * 1e6 - (row.rul_prediction ?? 1e5)
}

/**
 * Service demand per centre and day for the next two weeks (`forecast-model.ts` computes; this
 * reads). The API serves it, and the scheduling agent asks it which days are overloaded.
 */
export class ForecastService {
  private readonly repos: Pick<Repositories, 'forecast' | 'serviceCenters'>
  private readonly now: () => Date
  private readonly cacheMs: number
  /** The last overloaded-days answer, shared by the offers made within `cacheMs` of it (in flight too). */
  private cached: { at: number; forNow: number; days: Promise<Set<string>> } | null = null

  constructor(
    repos: Pick<Repositories, 'forecast' | 'serviceCenters'>,
    options: { now?: () => Date; overloadCacheMs?: number } = {},
  ) {
    this.repos = repos
    this.now = options.now ?? (() => new Date())
    this.cacheMs = options.overloadCacheMs ?? 0
  }

  /** One centre's forecast; SERVICE_CENTER_NOT_FOUND for an unknown id. */
  async forecast(centerId: string, now: Date = this.now()): Promise<DemandForecast> {
    const all = await this.forecastAll(now)
    const one = all.find((f) => f.center_id === centerId)
    if (!one) throw new AppError('SERVICE_CENTER_NOT_FOUND')
    return one
  }

  async forecastAll(now: Date = this.now()): Promise<DemandForecast[]> {
    const { forecast, serviceCenters } = this.repos
    // A day either side: local days of a centre far from UTC start up to 14 h away.
    const from = new Date(now.getTime() - DAY_MS)
    const to = new Date(now.getTime() + (HORIZON_DAYS + 1) * DAY_MS)
    const [centers, bookings, rows, booked, homes, history, arrivals] = await Promise.all([
      serviceCenters.listCenters(),
      forecast.liveBookings(from, to),
      forecast.openEpisodes(),
      forecast.vehiclesWithUpcomingBooking(now),
      forecast.homeCenters(),
      forecast.bookingHistory(),
      this.arrivals(now),
    ])
    const routed = routeEpisodes(rows, { centers, booked, homes, now })
    // New faults come from any vehicle: split like an unrouted one, by capacity.
    const rate = arrivals
    const capacity = centers.reduce((a, c) => a + dailyCapacity(c), 0)
    return centers.map((center) =>
      forecastDemand({
        center,
        now,
        bookings: bookings.filter((b) => b.service_center_id === center.id),
        episodes: routed.get(center.id) ?? [],
        history,
        arrivalsPerDay: capacity > 0 ? (rate * dailyCapacity(center)) / capacity : 0,
      }),
    )
  }

  /** New maintenance episodes per day over the trailing window, on the fleet's clock (never ahead of now). */
  private async arrivals(now: Date): Promise<number> {
    const { first, latest } = await this.repos.forecast.episodeClock()
    const clock = latest && latest.getTime() < now.getTime() ? latest : now
    const since = new Date(clock.getTime() - ARRIVAL_WINDOW_DAYS * DAY_MS)
    const count = await this.repos.forecast.episodesDetected(since, clock)
    return arrivalRate(count, first, clock)
  }

  /**
   * `${centerId}@${YYYY-MM-DD}` of every overloaded day (expected visits above capacity). A burst
   * of episodes makes an offer each; within `overloadCacheMs` they share one computation (a
   * failed one is not kept), since expected demand moves slowly next to a booking's day.
   */
  overloadedDays(now: Date = this.now()): Promise<Set<string>> {
    if (this.cacheMs <= 0) return this.computeOverloaded(now)
    const wall = performance.now()
    const c = this.cached
    if (c && wall - c.at < this.cacheMs && Math.abs(now.getTime() - c.forNow) < this.cacheMs) return c.days
    const days = this.computeOverloaded(now)
    const entry = { at: wall, forNow: now.getTime(), days }
    this.cached = entry
    days.catch(() => {
      if (this.cached === entry) this.cached = null
    })
    return days
  }

  private async computeOverloaded(now: Date): Promise<Set<string>> {
    const out = new Set<string>()
    for (const f of await this.forecastAll(now)) {
      for (const d of f.days) if (d.overloaded) out.add(`${f.center_id}@${d.date}`)
    }
    return out
  }
}
