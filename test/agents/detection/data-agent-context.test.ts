import { describe, expect, it } from 'vitest'
import { DataAnalysisAgent } from '../../../src/agents/detection/data-agent.js'
import {
  DEFAULT_RULES,
  parseRules,
  RulesValidationError,
  validateRules,
} from '../../../src/agents/detection/rules.js'
import { AnalysisResultSchema } from '../../../src/schemas/analysis.js'
import { makeReading, step } from '../../helpers/readings.js'

const T0 = '2026-03-02T00:00:00Z'

/** Deterministic normal deviates (mulberry32 + Box-Muller). */
function gaussian(seed: number) {
  let s = seed
  const uniform = () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())
}

describe('measured_when', () => {
  const agent = new DataAnalysisAgent()
  const drive = (i: number, vibration: number) =>
    makeReading('VIN1', step(T0, i), { motor_vibration: vibration, motor_rpm: 2500 })
  const park = (i: number) => makeReading('VIN1', step(T0, i), { motor_vibration: 0.3, motor_rpm: 0 })

  it('holds a bearing alarm through parked readings and clears only on quiet driving ones', () => {
    const history = agent.createHistory()
    expect(agent.analyze(drive(0, 2.6), history).raised).toEqual(['motor_bearing'])
    // Hours parked: the vibration reads low, but a motor that does not turn says nothing about its bearing.
    for (let i = 1; i <= 12; i++) {
      const r = agent.analyze(park(i), history)
      expect(r.anomaly_type).toBe('motor_bearing')
      expect(r.cleared).toEqual([])
    }
    // Parked readings do not reset the count either: 4 quiet driving readings clear it.
    const after = [drive(13, 0.9), park(14), drive(15, 0.9), drive(16, 0.9), drive(17, 0.9)].map((r) =>
      agent.analyze(r, history),
    )
    expect(after.map((r) => r.cleared.length)).toEqual([0, 0, 0, 0, 1])
  })

  it('clears on parked readings without the condition (the old behaviour)', () => {
    const ungated = new DataAnalysisAgent(
      DEFAULT_RULES.map((r) => (r.type === 'motor_bearing' ? { ...r, measured_when: undefined } : r)),
    )
    const history = ungated.createHistory()
    ungated.analyze(drive(0, 2.6), history)
    const parked = [1, 2, 3, 4].map((i) => ungated.analyze(park(i), history))
    expect(parked[3]!.cleared).toEqual(['motor_bearing'])
  })

  it('takes a reading without the context signal as measuring', () => {
    const history = agent.createHistory()
    const reading = { ...drive(0, 2.6), motor_rpm: Number.NaN }
    expect(agent.analyze(reading, history).raised).toEqual(['motor_bearing'])
  })
})

/**
 * A battery that follows a first-order thermal model of ambient and current (about 1.5 h time
 * constant), with a daily drive, a fast charge every other day, a weekly road trip and sensor noise.
 * From `faultAt` on, a heat source of its own adds up to 20 C over 12 hours.
 */
function batteryDay(agent: DataAnalysisAgent, days: number, faultAt = Number.POSITIVE_INFINITY) {
  const history = agent.createHistory()
  const noise = gaussian(3)
  let temperature = 22
  const results = []
  for (let i = 0; i < days * 96; i++) {
    const q = i % 96
    const day = Math.floor(i / 96)
    const ambient = 12 + 6 * Math.sin((2 * Math.PI * (q - 36)) / 96)
    const driving = q >= 30 + (day % 3) * 4 && q < 38 + (day % 3) * 4
    const charging = day % 2 === 0 && q >= 70 && q < 76
    const trip = day % 7 === 6 && q >= 32 && q < 60
    const current = trip ? (q >= 44 && q < 48 ? 150 : -90) : driving ? -60 : charging ? 140 : -0.1
    temperature += 0.16 * (15 + 0.4 * ambient + 0.13 * Math.abs(current) - temperature)
    const k = i - faultAt
    const fault = k < 0 ? 0 : 20 * Math.min(1, k / 48)
    const reading = makeReading('VIN1', step(T0, i), {
      battery_temperature: temperature + fault + 0.25 * noise(),
      battery_current: current,
      ambient_temperature: ambient,
      motor_rpm: driving || trip ? 2500 : 0,
    })
    results.push(agent.analyze(reading, history))
  }
  return results
}

describe('explained_by (battery heat against load and ambient)', () => {
  it('does not alarm on a month of drives, road trips and fast charges that heat the pack', () => {
    const results = batteryDay(new DataAnalysisAgent(), 30)
    const alarms = results.filter((r) => r.anomaly_detected).map((r) => r.anomaly_reason)
    expect(alarms).toEqual([])
    // The plain z-score drift on the temperature itself takes a road trip for a fault.
    const raw = new DataAnalysisAgent(
      DEFAULT_RULES.map((r) =>
        r.type === 'battery_thermal'
          ? { ...r, drift_signals: [{ signal: 'battery_temperature' as const, min_deviation: 5 }] }
          : r,
      ),
    )
    expect(batteryDay(raw, 30).filter((r) => r.raised.length > 0).length).toBeGreaterThan(0)
  })

  it('warns of heat the load does not explain hours before the threshold', () => {
    const faultAt = 5 * 96 + 10
    const results = batteryDay(new DataAnalysisAgent(), 7, faultAt)
    const first = results.findIndex((r) => r.anomaly_detected)
    const crossed = results.findIndex((r) => r.severity === 'High' || r.severity === 'Critical')
    expect(first).toBeGreaterThan(faultAt)
    expect(crossed - first).toBeGreaterThanOrEqual(8) // at least 2 hours of warning
    const warning = results[first]!
    expect(AnalysisResultSchema.safeParse(warning).success).toBe(true)
    expect(warning.raised).toEqual(['battery_thermal'])
    expect(warning.anomaly_reason).toMatch(
      /^High Battery Temp \(drift\): battery_temperature [\d.]+ is [\d.]+ above the [\d.]+ its ambient_temperature and battery_current explain/,
    )
    expect(warning.signals[0]).toMatchObject({ signal: 'battery_temperature', kind: 'drift', threshold: 45 })
  })
})

describe('rules schema for context', () => {
  it('accepts the new fields and rejects malformed ones', () => {
    expect(() =>
      parseRules([
        { type: 'motor_bearing', measured_when: { signal: 'motor_rpm', min: 50 } },
        {
          type: 'tire_pressure',
          drift_signals: [
            {
              signal: 'tire_pressure',
              min_deviation: 2,
              sustain: 8,
              explained_by: [{ signal: 'tire_temperature' }],
            },
          ],
        },
      ]),
    ).not.toThrow()
    const bad = [
      { ...DEFAULT_RULES[1], measured_when: { signal: 'motor_rpm' } },
      { ...DEFAULT_RULES[2], measured_when: { signal: 'motor_rpm', min: 5, max: 1 } },
      { ...DEFAULT_RULES[3], drift_signals: [{ signal: 'tire_pressure', min_deviation: 2, sustain: 0.5 }] },
      {
        ...DEFAULT_RULES[4],
        drift_signals: [
          { signal: 'brake_pad_wear', min_deviation: 0.05, explained_by: [{ signal: 'nope' }] },
        ],
      },
    ]
    try {
      validateRules(bad)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(RulesValidationError)
      const text = (error as RulesValidationError).issues.join('\n')
      expect(text).toMatch(/rules\[0\].*measured_when.*needs min or max/)
      expect(text).toMatch(/rules\[1\].*measured_when.*min must be below max/)
      expect(text).toMatch(/rules\[2\].*sustain/)
      expect(text).toMatch(/rules\[3\].*explained_by.*unknown signal name/)
    }
  })
})
