import { describe, expect, it } from 'vitest'
import type { ServiceCenter } from '../../src/db/schema.js'
import { arrivalRate, routeEpisodes } from '../../src/services/forecast.service.js'
import {
  bookingShare,
  type ForecastEpisode,
  type ForecastInput,
  forecastDemand,
  SHARE_PRIOR,
  THIN_HISTORY,
} from '../../src/services/forecast-model.js'

// A Monday in winter, 06:00 UTC = 07:00 in Berlin.
const NOW = new Date('2030-01-07T06:00:00Z')
const DAY = 86_400_000

const center = (over: Partial<ServiceCenter> = {}): ServiceCenter => ({
  id: '00000000-0000-4000-8000-000000000001',
  name: 'Hub North',
  city: 'Berlin',
  bays: 2,
  opening_hour: 8,
  closing_hour: 18,
  slot_minutes: 60,
  timezone: 'Europe/Berlin',
  created_at: NOW,
  ...over,
})

const episode = (over: Partial<ForecastEpisode> = {}): ForecastEpisode => ({
  severity: 'Medium',
  rul_days: 5,
  rul_low_days: 4,
  rul_high_days: 6,
  rul_method: 'theil-sen',
  estimated_at: NOW,
  weight: 1,
  ...over,
})

const LOTS = { episodes: 1000, booked: 1000 }

function run(over: Partial<ForecastInput> = {}) {
  return forecastDemand({ center: center(), now: NOW, bookings: [], episodes: [], history: LOTS, ...over })
}

describe('forecastDemand', () => {
  it('gives 14 local days with capacity = bays x slot starts of that day', () => {
    const f = run()
    expect(f.days).toHaveLength(14)
    expect(f.days[0]!.date).toBe('2030-01-07')
    expect(f.days[13]!.date).toBe('2030-01-20')
    // 08:00-18:00 in 60-minute slots, 2 bays.
    expect(f.days.every((d) => d.capacity === 20)).toBe(true)
    const south = run({ center: center({ bays: 3, opening_hour: 7, closing_hour: 19, slot_minutes: 90 }) })
    expect(south.days[0]!.capacity).toBe(24)
    expect(f.days.every((d) => d.expected === 0 && d.expected_low === 0 && d.expected_high === 0)).toBe(true)
  })

  it('counts confirmed bookings on their day, pending ones at the booking share', () => {
    const at = (iso: string, status: 'PENDING' | 'CONFIRMED' = 'CONFIRMED') => ({
      appointment_time: new Date(iso),
      status,
    })
    const f = run({
      bookings: [
        at('2030-01-08T09:00:00Z'),
        at('2030-01-08T10:00:00Z'),
        at('2030-01-09T09:00:00Z', 'PENDING'),
      ],
      history: { episodes: 90, booked: 40 },
    })
    const share = bookingShare({ episodes: 90, booked: 40 }).value
    expect(share).toBeCloseTo((40 + SHARE_PRIOR.mean * SHARE_PRIOR.weight) / 100)
    expect(f.days[1]).toMatchObject({ date: '2030-01-08', booked: 2, pending: 0, expected: 2 })
    expect(f.days[1]!.expected_low).toBe(2)
    expect(f.days[2]).toMatchObject({ date: '2030-01-09', booked: 0, pending: 1 })
    expect(f.days[2]!.expected).toBeCloseTo(share, 2)
    expect(f.days[2]!.expected_high).toBe(1)
  })

  it("puts a booking on the centre's local day, not the UTC one", () => {
    // 23:30 UTC on the 8th is 00:30 on the 9th in Berlin, and still the 8th in New York (18:30).
    const booking = { appointment_time: new Date('2030-01-08T23:30:00Z'), status: 'CONFIRMED' as const }
    const berlin = run({ bookings: [booking] })
    expect(berlin.days.find((d) => d.booked === 1)?.date).toBe('2030-01-09')
    const ny = run({ center: center({ timezone: 'America/New_York' }), bookings: [booking] })
    expect(ny.timezone).toBe('America/New_York')
    // 06:00 UTC is 01:00 in New York: its first day is still the 7th.
    expect(ny.days[0]!.date).toBe('2030-01-07')
    expect(ny.days.find((d) => d.booked === 1)?.date).toBe('2030-01-08')
  })

  it("spreads an episode's visit over the days of its RUL interval, centred on the median", () => {
    const f = run({ episodes: [episode()] })
    const e = f.days.map((d) => d.expected)
    const total = e.reduce((a, b) => a + b, 0)
    expect(total).toBeCloseTo(1, 1)
    // Median 5 days from 07:00 local on the 7th falls on the 12th (index 5).
    const peak = e.indexOf(Math.max(...e))
    expect(peak).toBeGreaterThanOrEqual(4)
    expect(peak).toBeLessThanOrEqual(5)
    expect(e[0]).toBe(0)
    expect(e[10]).toBe(0)
    // A wider interval spreads the same visit thinner.
    const wide = run({ episodes: [episode({ rul_low_days: 1, rul_high_days: 12 })] })
    expect(Math.max(...wide.days.map((d) => d.expected))).toBeLessThan(Math.max(...e))
  })

  it('puts an overdue or crossed episode on the first day, and an estimate beyond the horizon nowhere', () => {
    const overdue = run({ episodes: [episode({ estimated_at: new Date(NOW.getTime() - 10 * DAY) })] })
    expect(overdue.days[0]!.expected).toBeCloseTo(1)
    const crossed = run({
      episodes: [episode({ rul_days: 0, rul_low_days: 0, rul_high_days: 0, rul_method: 'crossed' })],
    })
    expect(crossed.days[0]!.expected).toBeCloseTo(1)
    const far = run({ episodes: [episode({ rul_days: 200, rul_low_days: 150, rul_high_days: 260 })] })
    expect(far.days.reduce((a, d) => a + d.expected, 0)).toBe(0)
  })

  it('books urgent episodes soon and spreads an unknown RUL by severity', () => {
    const critical = run({ episodes: [episode({ severity: 'Critical', rul_days: 10, rul_high_days: 12 })] })
    expect(critical.days[0]!.expected + critical.days[1]!.expected).toBeCloseTo(1)
    const high = run({
      episodes: [episode({ severity: 'High', rul_days: null, rul_method: 'insufficient-trend' })],
    })
    expect(high.days.slice(0, 4).reduce((a, d) => a + d.expected, 0)).toBeCloseTo(1)
    const unknown = {
      rul_days: null,
      rul_low_days: null,
      rul_high_days: null,
      rul_method: 'insufficient-trend' as const,
    }
    const medium = run({ episodes: [episode(unknown)] })
    expect(medium.days.reduce((a, d) => a + d.expected, 0)).toBeCloseTo(1, 1)
    const low = run({ episodes: [episode({ ...unknown, severity: 'Low' })] })
    // Spread over 30 days: under half of it inside the horizon (13.7 days from 07:00 on day 0).
    const lowTotal = low.days.reduce((a, d) => a + d.expected, 0)
    expect(lowTotal).toBeGreaterThan(0.4)
    expect(lowTotal).toBeLessThan(0.47)
    expect(medium.warnings.some((w) => w.includes('no remaining-life estimate'))).toBe(true)
  })

  it('scales episodes by the learned booking share and by their routing weight', () => {
    const many = Array.from({ length: 10 }, () =>
      episode({ rul_days: 0, rul_low_days: 0, rul_high_days: 0, rul_method: 'crossed' }),
    )
    const history = { episodes: 190, booked: 19 }
    const f = run({ episodes: many, history })
    const share = (19 + SHARE_PRIOR.mean * SHARE_PRIOR.weight) / 200
    expect(f.booking_share.value).toBeCloseTo(share)
    expect(f.days[0]!.expected).toBeCloseTo(10 * share, 1)
    expect(f.days[0]!.expected_low).toBeLessThanOrEqual(f.days[0]!.expected)
    expect(f.days[0]!.expected_high).toBeGreaterThanOrEqual(f.days[0]!.expected)
    const half = run({ episodes: many.map((e) => ({ ...e, weight: 0.5 })), history })
    expect(half.days[0]!.expected).toBeCloseTo(5 * share, 1)
    expect(half.open_episodes).toBe(5)
  })

  it('adds faults not yet detected at the recent rate, today only for what is left of it', () => {
    const f = run({ arrivalsPerDay: 2, history: { episodes: 0, booked: 0 } })
    // 06:00 UTC is 07:00 in Berlin: 17 of the day's 24 hours are left.
    expect(f.days[0]!.new_faults).toBeCloseTo(2 * 0.6 * (17 / 24), 2)
    expect(f.days[1]!.new_faults).toBeCloseTo(1.2, 2)
    expect(f.days[1]!.expected).toBeCloseTo(1.2, 2)
    // A Poisson count around 1.2: the interval holds 0 at the low end and more than 1 at the top.
    expect(f.days[1]!.expected_low).toBe(0)
    expect(f.days[1]!.expected_high).toBeGreaterThanOrEqual(2)
    expect(f.arrivals_per_day).toBe(2)
    expect(arrivalRate(14, new Date(NOW.getTime() - 100 * DAY), NOW)).toBeCloseTo(0.5)
    // A record younger than the window: the days it covers, at least one.
    expect(arrivalRate(3, new Date(NOW.getTime() - 6 * DAY), NOW)).toBeCloseTo(0.5)
    expect(arrivalRate(1, NOW, NOW)).toBe(1)
    expect(arrivalRate(0, null, NOW)).toBe(0)
  })

  it('keeps the interval around the expectation for a large fleet (normal approximation)', () => {
    const many = Array.from({ length: 1000 }, () =>
      episode({ rul_days: 0, rul_low_days: 0, rul_high_days: 0, rul_method: 'crossed' }),
    )
    const d = run({ episodes: many, history: { episodes: 1000, booked: 500 } }).days[0]!
    expect(d.expected).toBeCloseTo(1000 * ((500 + 6) / 1010), 0)
    expect(d.expected_low).toBeLessThan(d.expected)
    expect(d.expected_high).toBeGreaterThan(d.expected)
    // The share's own uncertainty (1,000 episodes) dominates: tens of visits either side, not hundreds.
    expect(d.expected_high - d.expected_low).toBeGreaterThan(20)
    expect(d.expected_high - d.expected_low).toBeLessThan(120)
  })

  it('falls back to the prior with thin history, and says so', () => {
    const none = run({ history: { episodes: 0, booked: 0 } })
    expect(none.booking_share.value).toBeCloseTo(SHARE_PRIOR.mean)
    expect(none.warnings[0]).toMatch(/Thin history: .* only 0 past episodes/)
    const rich = run({ history: { episodes: THIN_HISTORY, booked: 5 } })
    expect(rich.warnings.some((w) => w.startsWith('Thin history'))).toBe(false)
    // Wider interval of the share with less history.
    const thin = bookingShare({ episodes: 2, booked: 1 })
    const thick = bookingShare({ episodes: 200, booked: 100 })
    expect(thin.high - thin.low).toBeGreaterThan(thick.high - thick.low)
  })

  it('flags a day whose expected demand exceeds capacity, and one whose upper end does', () => {
    const small = center({ bays: 1, opening_hour: 8, closing_hour: 11 })
    const due = (n: number) =>
      Array.from({ length: n }, () =>
        episode({ rul_days: 0, rul_low_days: 0, rul_high_days: 0, rul_method: 'crossed' }),
      )
    const over = run({ center: small, episodes: due(5) })
    expect(over.days[0]).toMatchObject({ capacity: 3, overloaded: true, at_risk: true })
    expect(over.days[1]!.overloaded).toBe(false)
    expect(over.warnings).toContain('2030-01-07 is overloaded: about 5.0 visits expected for 3 slots.')
    // Share 0.45: about 2.3 of 5 expected, but 4 of them well within the interval.
    const risky = run({ center: small, episodes: due(5), history: { episodes: 90, booked: 39 } })
    expect(risky.days[0]!.overloaded).toBe(false)
    expect(risky.days[0]!.at_risk).toBe(true)
    expect(risky.warnings.some((w) => w.startsWith('2030-01-07 may overload'))).toBe(true)
  })

  it('has a day of 23 hours at the spring clock change, with its slots', () => {
    const spring = forecastDemand({
      center: center(),
      now: new Date('2030-03-30T06:00:00Z'),
      bookings: [{ appointment_time: new Date('2030-03-31T22:30:00Z'), status: 'CONFIRMED' }],
      episodes: [],
      history: LOTS,
    })
    expect(spring.days[1]).toMatchObject({ date: '2030-03-31', capacity: 20, booked: 0 })
    // 22:30 UTC on the 31st is 00:30 on 1 April in summer time.
    expect(spring.days[2]).toMatchObject({ date: '2030-04-01', booked: 1 })
  })
})

describe('routeEpisodes', () => {
  const north = center()
  const south = center({ id: '00000000-0000-4000-8000-000000000002', name: 'Hub South', bays: 3 })
  const row = (vehicle: string, over: Record<string, unknown> = {}) => ({
    id: `e-${vehicle}-${Math.random()}`,
    vehicle_id: vehicle,
    severity: 'Medium' as const,
    rul_prediction: 5,
    rul_low_days: 4,
    rul_high_days: 6,
    rul_method: 'theil-sen' as const,
    rul_estimated_at: NOW,
    detected_at: NOW,
    last_seen_at: NOW,
    ...over,
  })

  it("sends a vehicle to its last booking's centre, splits the others by capacity, and skips booked ones", () => {
    const routed = routeEpisodes([row('a'), row('b'), row('c')], {
      centers: [north, south],
      booked: new Set(['c']),
      homes: new Map([['a', south.id]]),
      now: NOW,
    })
    const weights = (id: string) => routed.get(id)!.map((e) => e.weight)
    expect(weights(south.id)).toEqual([1, 0.6])
    expect(weights(north.id)).toEqual([0.4])
  })

  it("counts the time since the estimate on the vehicle's clock, which may lag the server's (a replay)", () => {
    const lagging = new Date(NOW.getTime() - 60 * DAY)
    const routed = routeEpisodes(
      [
        row('a', {
          rul_estimated_at: lagging,
          detected_at: lagging,
          last_seen_at: new Date(lagging.getTime() + 2 * DAY),
        }),
      ],
      { centers: [north], booked: new Set(), homes: new Map(), now: NOW },
    )
    // Two days of readings since the estimate: 3 of its 5 days are left, not 55 days overdue.
    expect(routed.get(north.id)![0]!.estimated_at).toEqual(new Date(NOW.getTime() - 2 * DAY))
  })

  it('counts one visit per vehicle, for its worst episode', () => {
    const routed = routeEpisodes([row('a', { severity: 'Low' }), row('a', { severity: 'High' })], {
      centers: [north],
      booked: new Set(),
      homes: new Map(),
      now: NOW,
    })
    expect(routed.get(north.id)!.map((e) => e.severity)).toEqual(['High'])
  })
})
