import { describe, expect, it } from 'vitest'
import { DataAnalysisAgent } from '../../../src/agents/detection/data-agent.js'
import { isoToEpochDays } from '../../../src/agents/detection/epoch-days.js'
import { estimateRul } from '../../../src/agents/detection/rul.js'
import { makeReading, step } from '../../helpers/readings.js'

const STEP = 15 / 1440 // days between readings

/** `n` readings 15 minutes apart ending at t = 0 (days), valued `f(t)`. */
function series(n: number, f: (t: number, i: number) => number) {
  const t = Array.from({ length: n }, (_, i) => (i - n + 1) * STEP)
  return { t, y: t.map((x, i) => f(x, i)) }
}

/** Deterministic noise in [-1, 1]. */
function noise(seed: number) {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return (s / 2147483648) * 2 - 1
  }
}

describe('estimateRul', () => {
  it('gives the time a clean linear trend needs to reach the limit, inside its interval', () => {
    // 40 C rising 1 C per hour toward 45: 5 hours.
    const n = noise(1)
    const s = series(48, (t) => 40 + 24 * t + 0.2 * n())
    const rul = estimateRul(s, { above: true, limits: [45, 55] })
    expect(rul.rul_method).toBe('theil-sen')
    expect(rul.rul_limit).toBe(45)
    expect(rul.rul_days! * 24).toBeCloseTo(5, 0)
    expect(rul.rul_low_days!).toBeLessThanOrEqual(5 / 24)
    expect(rul.rul_high_days!).toBeGreaterThanOrEqual(5 / 24)
  })

  it('counts down to the next limit once the first is behind it', () => {
    // 50 C rising 2 C per hour: past 45, 5 hours to 55.
    const s = series(48, (t) => 50 + 48 * t)
    const rul = estimateRul(s, { above: true, limits: [45, 55] })
    expect(rul.rul_limit).toBe(55)
    expect(rul.rul_days! * 24).toBeCloseTo(2.5, 1)
  })

  it('says unknown, never a number, when the readings show no trend', () => {
    const n = noise(7)
    const flat = estimateRul(
      series(240, () => 30 + 3 * n()),
      { above: true, limits: [45, 55] },
    )
    expect(flat).toEqual({
      rul_days: null,
      rul_low_days: null,
      rul_high_days: null,
      rul_method: 'insufficient-trend',
      rul_limit: null,
    })
    // Improving (cooling down) is no trend toward the limit either.
    expect(
      estimateRul(
        series(48, (t) => 30 - 10 * t),
        { above: true, limits: [45] },
      ).rul_method,
    ).toBe('insufficient-trend')
    expect(estimateRul({ t: [], y: [] }, { above: true, limits: [45] }).rul_method).toBe('insufficient-trend')
  })

  it('gives 0 for a signal already past its last limit, falling signals too', () => {
    const crossed = estimateRul(
      series(8, () => 21),
      { above: false, limits: [28, 22] },
    )
    expect(crossed).toMatchObject({ rul_days: 0, rul_low_days: 0, rul_high_days: 0, rul_method: 'crossed' })
    // Tyre pressure losing 1 psi per hour from 31: 3 hours to 28.
    const leak = estimateRul(
      series(24, (t) => 31 - 24 * t),
      { above: false, limits: [28, 22] },
    )
    expect(leak.rul_limit).toBe(28)
    expect(leak.rul_days! * 24).toBeCloseTo(3, 1)
  })

  it("reads a wear that accrues only while driving at its daily rate, not a drive's", () => {
    // Pads wear 0.05 a day, all of it in 8 driving hours; 0.6 now, 0.8 is 4 days away.
    const s = series(240, (t) => {
      const day = Math.floor(t)
      const hour = (t - day) * 24
      const today = Math.min(1, Math.max(0, (hour - 8) / 8))
      return 0.6 + 0.05 * (day + today)
    })
    const agent = new DataAnalysisAgent()
    const readings = s.t.map((t, i) =>
      makeReading('V1', new Date(Date.UTC(2025, 0, 10) + t * 86_400_000), { brake_pad_wear: s.y[i]! }),
    )
    const rul = agent.estimateRul('brake_wear', readings)
    expect(rul.rul_method).toBe('theil-sen')
    expect(rul.rul_limit).toBe(0.8)
    expect(rul.rul_days!).toBeGreaterThan(3)
    expect(rul.rul_days!).toBeLessThan(5.5)
    expect(rul.rul_low_days!).toBeLessThanOrEqual(4)
    expect(rul.rul_high_days!).toBeGreaterThanOrEqual(4)
  })

  it('fits a compounding bearing vibration on its logarithm, while the motor turns', () => {
    // Vibration doubling every 12 hours from 1.0 g: 2.0 g in 12 hours; parked readings say nothing.
    const agent = new DataAnalysisAgent()
    const readings = Array.from({ length: 96 }, (_, i) => {
      const hoursAgo = (95 - i) / 4
      const parked = i % 4 === 0
      return makeReading('V1', step('2025-01-10T00:00:00Z', i), {
        motor_rpm: parked ? 0 : 2000,
        motor_vibration: parked ? 0.1 : 2 ** (-hoursAgo / 12),
      })
    })
    const rul = agent.estimateRul('motor_bearing', readings)
    expect(rul.rul_limit).toBe(2)
    expect(rul.rul_days! * 24).toBeCloseTo(12, 0)
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
