import { describe, expect, it } from 'vitest'
import { DataAnalysisAgent } from '../../../src/agents/detection/data-agent.js'
import {
  DEFAULT_RUL_OPTIONS,
  isoToEpochDays,
  RulEstimator,
  urgentRul,
} from '../../../src/agents/detection/rul.js'

const PER_DAY = 96 // 15-minute readings

/** Feeds `days` of readings; `soh(t)` and `brake(t)` give the value at t days. */
function feed(est: RulEstimator, days: number, soh: (t: number) => number, brake: (t: number) => number) {
  for (let i = 0; i < days * PER_DAY; i++) {
    const t = i / PER_DAY
    est.observe(t, soh(t), brake(t))
  }
}

describe('RulEstimator', () => {
  it('projects a steady SoH decline to the end-of-life limit', () => {
    const est = new RulEstimator()
    // 0.9 falling 0.001/day: after 30 days SoH 0.87, 0.17 above 0.7 -> 170 days left.
    feed(
      est,
      30,
      (t) => 0.9 - 0.001 * t + 0.002 * Math.sin(t * 40),
      () => 0.2,
    )
    const b = est.breakdown()
    expect(b.battery_method).toBe('trend')
    expect(b.battery_days).toBeGreaterThan(160)
    expect(b.battery_days).toBeLessThan(180)
    expect(b.days).toBe(b.battery_days)
  })

  it('projects brake pad wear to 0.8 and takes the minimum', () => {
    const est = new RulEstimator()
    // wear 0.5 rising 0.01/day: after 10 days 0.6, 0.2 left -> 20 days.
    feed(
      est,
      10,
      () => 0.95,
      (t) => 0.5 + 0.01 * t,
    )
    const b = est.breakdown()
    expect(b.brake_method).toBe('trend')
    expect(b.brake_days).toBeGreaterThan(18)
    expect(b.brake_days).toBeLessThan(22)
    expect(b.days).toBe(b.brake_days)
  })

  it('uses the nominal fleet rate when the history is shorter than a day', () => {
    const est = new RulEstimator()
    for (let i = 0; i < 50; i++) est.observe(i / PER_DAY, 0.8 - i * 0.001, Number.NaN)
    const b = est.breakdown()
    expect(b.battery_method).toBe('nominal')
    expect(b.brake_method).toBe('none')
    // Headroom of the smoothed SoH (~0.77 - 0.7) at 0.02 per 365 days.
    const expected = ((est.soh.level - 0.7) / 0.02) * 365
    expect(b.days).toBeCloseTo(expected, 0)
  })

  it('gives the cap or the nominal estimate for a flat history', () => {
    const flatHigh = new RulEstimator()
    feed(
      flatHigh,
      5,
      () => 0.95,
      () => Number.NaN,
    )
    expect(flatHigh.breakdown().battery_method).toBe('nominal')
    expect(flatHigh.estimate()).toBe(DEFAULT_RUL_OPTIONS.capDays)

    const flatLow = new RulEstimator()
    feed(
      flatLow,
      5,
      () => 0.75,
      () => Number.NaN,
    )
    expect(flatLow.estimate()).toBeCloseTo((0.05 / 0.02) * 365, 0)
  })

  it('gives the cap with no data and 0 at or past end of life', () => {
    expect(new RulEstimator().estimate()).toBe(3650)
    const dead = new RulEstimator()
    feed(
      dead,
      2,
      () => 0.65,
      () => 0.3,
    )
    expect(dead.estimate()).toBe(0)
  })

  it('caps the RUL while a High or Critical anomaly is active', () => {
    const o = DEFAULT_RUL_OPTIONS
    expect(urgentRul(500, 'Critical', o)).toBe(3)
    expect(urgentRul(500, 'High', o)).toBe(14)
    expect(urgentRul(500, 'Medium', o)).toBe(500)
    expect(urgentRul(2, 'High', o)).toBe(2)
    expect(urgentRul(500, null, o)).toBe(500)
  })

  it('feeds the data agent from reading timestamps', () => {
    const agent = new DataAnalysisAgent()
    const history = agent.createHistory()
    const t0 = Date.parse('2025-01-01T00:00:00Z')
    let rul = 0
    for (let i = 0; i < 20 * PER_DAY; i++) {
      const t = i / PER_DAY
      rul = agent.analyze(
        {
          vin: 'V1',
          timestamp: new Date(t0 + i * 900_000).toISOString(),
          soh: 0.9 - 0.002 * t,
          brake_pad_wear: 0.2,
          battery_temperature: 30,
        } as never,
        history,
      ).rul_days
    }
    // SoH at day 20 is 0.86; 0.16 / 0.002 = 80 days.
    expect(rul).toBeGreaterThan(75)
    expect(rul).toBeLessThan(85)
  })
})

describe('RUL time axis', () => {
  const agent = new DataAnalysisAgent()
  const at = (iso: string, history: ReturnType<typeof agent.createHistory>) =>
    agent.analyze({ vin: 'V1', timestamp: iso, soh: 0.9 } as never, history)

  it('never runs backwards and survives replays and corrupt timestamps', () => {
    const history = agent.createHistory()
    at('2025-01-01T00:00:00Z', history)
    at('2025-01-02T00:00:00Z', history)
    expect(history.tDays).toBeCloseTo(1, 9)
    at('2025-01-01T23:30:00Z', history) // slightly out of order: hold
    expect(history.tDays).toBeCloseTo(1, 9)
    at('2025-01-01T00:00:00Z', history) // replay restarted: one nominal step, re-anchored
    expect(history.tDays).toBeCloseTo(1 + 15 / 1440, 9)
    at('2025-01-01T06:00:00Z', history)
    expect(history.tDays).toBeCloseTo(1.25 + 15 / 1440, 9)
    at('2099-01-01T00:00:00Z', history) // corrupt: one nominal step
    at('2025-01-01T12:00:00Z', history)
    expect(history.tDays).toBeGreaterThan(1.25)
    expect(history.tDays).toBeLessThan(2)
    at('garbage', history)
    expect(history.tDays).toBeLessThan(2)
  })

  it('can use a fixed reading interval instead of timestamps', () => {
    const fixed = new DataAnalysisAgent(undefined, { readingIntervalMinutes: 60 })
    const history = fixed.createHistory()
    for (let i = 0; i < 49; i++)
      fixed.analyze({ vin: 'V', timestamp: '2025-01-01T00:00:00Z' } as never, history)
    expect(history.tDays).toBeCloseTo(2, 9)
  })
})

describe('isoToEpochDays', () => {
  it('matches Date.parse for the forms readings use', () => {
    for (const iso of [
      '2025-03-01T00:00:00Z',
      '2025-03-01T12:34:56.789Z',
      '2024-02-29T23:59:59+05:30',
      '1969-12-31T23:00:00-02:00',
      '2025-03-01T00:00:00.000+00:00',
    ]) {
      expect(isoToEpochDays(iso)).toBeCloseTo(Date.parse(iso) / 86_400_000, 9)
    }
    expect(isoToEpochDays('2025-13-01T00:00:00Z')).toBeNaN()
    expect(isoToEpochDays('not a date')).toBeNaN()
  })
})
