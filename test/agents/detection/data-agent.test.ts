import { describe, expect, it } from 'vitest'
import { DataAnalysisAgent } from '../../../src/agents/detection/data-agent.js'
import { DEFAULT_RULES } from '../../../src/agents/detection/rules.js'
import { type AnalysisResult, AnalysisResultSchema } from '../../../src/schemas/analysis.js'
import type { TelemetryReading } from '../../../src/schemas/telemetry.js'

const T0 = Date.parse('2025-03-01T00:00:00Z')
const STEP_MS = 15 * 60_000

/** Deterministic PRNG (mulberry32) and a normal deviate from it. */
function random(seed: number) {
  let s = seed
  const uniform = () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const gauss = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())
  return { uniform, gauss }
}

function reading(i: number, overrides: Partial<Record<keyof TelemetryReading, number | undefined>> = {}) {
  return {
    vin: 'WDD0000000000TEST',
    timestamp: new Date(T0 + i * STEP_MS).toISOString(),
    soc: 0.6,
    soh: 0.92,
    battery_voltage: 380,
    battery_current: 20,
    battery_temperature: 30,
    charge_cycles: 200,
    motor_temperature: 65,
    motor_vibration: 0.8,
    motor_torque: 120,
    motor_rpm: 3000,
    power_consumption: 12,
    brake_pad_wear: 0.3,
    brake_pressure: 20,
    reg_brake_efficiency: 0.8,
    tire_pressure: 33,
    tire_temperature: 30,
    suspension_load: 300,
    ambient_temperature: 20,
    ambient_humidity: 50,
    load_weight: 150,
    driving_speed: 60,
    distance_traveled: 10 * i,
    idle_time: 0,
    route_roughness: 0.2,
    rul: 300,
    failure_probability: 0.1,
    maintenance_type: 0,
    ttf: 400,
    component_health_score: 0.9,
    ...overrides,
  } as TelemetryReading
}

function expectValid(result: AnalysisResult) {
  expect(AnalysisResultSchema.safeParse(result).success).toBe(true)
}

describe('DataAnalysisAgent thresholds', () => {
  const agent = new DataAnalysisAgent()

  it('raises High battery_thermal at 50 C, naming the signal and threshold', () => {
    const result = agent.analyze(reading(0, { battery_temperature: 50 }), agent.createHistory())
    expectValid(result)
    expect(result.anomaly_detected).toBe(true)
    expect(result.anomaly_type).toBe('battery_thermal')
    expect(result.severity).toBe('High')
    expect(result.anomaly_reason).toBe('High Battery Temp: battery_temperature 50 > 45')
    expect(result.raised).toEqual(['battery_thermal'])
    expect(result.signals).toEqual([
      expect.objectContaining({ signal: 'battery_temperature', value: 50, threshold: 45, kind: 'threshold' }),
    ])
    expect(result.anomaly_score).toBeGreaterThanOrEqual(0.6)
  })

  it('raises Critical beyond the critical level', () => {
    const result = agent.analyze(reading(0, { battery_temperature: 58 }), agent.createHistory())
    expect(result.severity).toBe('Critical')
    expect(result.anomaly_type).toBe('battery_thermal')
  })

  it('reports nothing for normal values', () => {
    const history = agent.createHistory()
    for (let i = 0; i < 50; i++) {
      const result = agent.analyze(reading(i), history)
      expectValid(result)
      expect(result.anomaly_detected).toBe(false)
      expect(result.anomalies).toEqual([])
      expect(result.anomaly_type).toBeNull()
      expect(result.anomaly_score).toBe(0)
    }
  })

  it('maps motor vibration 2.5 g to motor_bearing', () => {
    const result = agent.analyze(reading(0, { motor_vibration: 2.5 }), agent.createHistory())
    expect(result.anomaly_type).toBe('motor_bearing')
    expect(result.severity).toBe('High')
    expect(result.signals[0]).toMatchObject({ signal: 'motor_vibration', value: 2.5, threshold: 2 })
  })

  it('handles below-direction rules (tyre pressure) and reports all active types, worst first', () => {
    const result = agent.analyze(
      reading(0, { tire_pressure: 20, motor_vibration: 2.2 }),
      agent.createHistory(),
    )
    expect(result.anomalies.map((a) => [a.type, a.severity])).toEqual([
      ['tire_pressure', 'Critical'],
      ['motor_bearing', 'High'],
    ])
    expect(result.anomaly_reason).toBe('Low Tire Pressure: tire_pressure 20 < 22 (critical level)')
  })

  it('ignores missing, non-finite and implausible values for that reading', () => {
    const history = agent.createHistory()
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, undefined, 1e300, -1e300]) {
      const result = agent.analyze(reading(0, { battery_temperature: bad, motor_vibration: -5 }), history)
      expectValid(result)
      expect(result.anomaly_detected).toBe(false)
    }
  })

  it('resets the history when a reading of another vehicle arrives', () => {
    const history = agent.createHistory()
    agent.analyze(reading(0, { battery_temperature: 50 }), history)
    expect(history.activeTypes).toEqual(['battery_thermal'])
    const other = agent.analyze({ ...reading(1), vin: 'OTHERVIN000000000' }, history)
    expect(other.anomaly_detected).toBe(false)
    expect(history.readings).toBe(1)
  })
})

describe('DataAnalysisAgent hysteresis', () => {
  const agent = new DataAnalysisAgent()

  it('keeps one continuous anomaly while oscillating around the threshold and clears once', () => {
    const history = agent.createHistory()
    const results = [46, 44, 46, 44, 46, 44].map((t, i) =>
      agent.analyze(reading(i, { battery_temperature: t }), history),
    )
    for (const r of results) {
      expectValid(r)
      expect(r.anomaly_type).toBe('battery_thermal')
      expect(r.cleared).toEqual([])
    }
    expect(results.flatMap((r) => r.raised)).toEqual(['battery_thermal'])
    expect(results.map((r) => r.severity)).toEqual(['High', 'Low', 'High', 'Low', 'High', 'Low'])

    // Readings that are missing, or back between the clear level and the threshold, do not count.
    const tail = [40, 40, Number.NaN, 43, 40, 40, 40, 40, 40, 40].map((t, i) =>
      agent.analyze(reading(10 + i, { battery_temperature: t }), history),
    )
    expect(tail.map((r) => r.anomaly_detected)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ])
    expect(tail.flatMap((r) => r.cleared)).toEqual(['battery_thermal'])
    expect(tail[7]!.cleared).toEqual(['battery_thermal'])
  })

  it('keeps the severity over readings that lack the signal', () => {
    const history = agent.createHistory()
    agent.analyze(reading(0, { battery_temperature: 50 }), history)
    const missing = agent.analyze(reading(1, { battery_temperature: undefined }), history)
    expect(missing.severity).toBe('High')
    expect(missing.signals[0]).toMatchObject({ signal: 'battery_temperature', value: 50 })
    expect(agent.analyze(reading(2, { battery_temperature: 43 }), history).severity).toBe('Low')
  })

  it('honours a configured clear count', () => {
    const quick = new DataAnalysisAgent(undefined, { clearAfter: 1 })
    const history = quick.createHistory()
    quick.analyze(reading(0, { motor_vibration: 2.4 }), history)
    expect(quick.analyze(reading(1, { motor_vibration: 1.0 }), history).cleared).toEqual(['motor_bearing'])
  })

  it('reports escalation from High to Critical once', () => {
    const history = agent.createHistory()
    const r = [50, 56, 57, 50, 58].map((t, i) =>
      agent.analyze(reading(i, { battery_temperature: t }), history),
    )
    expect(r.map((x) => x.escalated.length)).toEqual([0, 1, 0, 0, 0])
  })
})

describe('DataAnalysisAgent drift', () => {
  it('raises a Low/Medium drift anomaly on a slow ramp before the threshold is crossed', () => {
    const agent = new DataAnalysisAgent()
    const history = agent.createHistory()
    const { gauss } = random(42)
    let i = 0
    for (; i < 2 * 96; i++) {
      expect(
        agent.analyze(reading(i, { battery_temperature: 30 + 0.5 * gauss() }), history).anomaly_detected,
      ).toBe(false)
    }
    const steps = 400
    let firstAt: number | undefined
    const severities = new Set<string>()
    for (let k = 0; k <= steps; k++, i++) {
      const temp = 30 + (14 * k) / steps + 0.3 * gauss()
      const result = agent.analyze(reading(i, { battery_temperature: Math.min(temp, 44.5) }), history)
      expectValid(result)
      if (result.anomaly_detected) {
        firstAt ??= temp
        expect(result.anomaly_type).toBe('battery_thermal')
        expect(['Low', 'Medium']).toContain(result.severity)
        severities.add(result.severity!)
        const signal = result.signals[0]!
        expect(signal).toMatchObject({ signal: 'battery_temperature', kind: 'drift', threshold: 45 })
        expect(signal.baseline).toBeCloseTo(30, 0)
        expect(result.anomaly_reason).toMatch(/^High Battery Temp \(drift\): battery_temperature/)
      }
    }
    expect(firstAt).toBeDefined()
    expect(firstAt!).toBeLessThan(40)
    expect(severities).toEqual(new Set(['Low', 'Medium']))
    // The baseline froze during the drift instead of absorbing it.
    expect(history.baselines[0]!.mean).toBeCloseTo(30, 0)
  })

  it('does not alarm on a normal daily temperature cycle with noise', () => {
    const agent = new DataAnalysisAgent()
    for (const seed of [1, 2, 3]) {
      const history = agent.createHistory()
      const { gauss } = random(seed)
      for (let i = 0; i < 96 * 7; i++) {
        const phase = (2 * Math.PI * i) / 96
        const result = agent.analyze(
          reading(i, {
            battery_temperature: 32 + 6 * Math.sin(phase) + 0.7 * gauss(),
            motor_vibration: 0.9 + 0.3 * Math.sin(phase) + 0.05 * gauss(),
            motor_temperature: 70 + 15 * Math.sin(phase) + 2 * gauss(),
            tire_pressure: 33 + 0.8 * Math.sin(phase) + 0.2 * gauss(),
          }),
          history,
        )
        expect(result.anomaly_detected).toBe(false)
      }
    }
  })

  it('watches extra drift signals of a rule in their own direction', () => {
    const rules = DEFAULT_RULES.map((r) =>
      r.type === 'battery_thermal'
        ? {
            ...r,
            drift_signals: [
              { signal: 'battery_temperature' as const, min_deviation: 5 },
              { signal: 'battery_voltage' as const, direction: 'below' as const, min_deviation: 20 },
            ],
          }
        : r,
    )
    const agent = new DataAnalysisAgent(rules)
    const history = agent.createHistory()
    const { gauss } = random(5)
    for (let i = 0; i < 150; i++) agent.analyze(reading(i, { battery_voltage: 380 + 2 * gauss() }), history)
    const results = [0, 1, 2, 3, 4].map((k) =>
      agent.analyze(reading(150 + k, { battery_voltage: 330 }), history),
    )
    expect(results.map((r) => r.anomaly_detected)).toEqual([false, false, false, true, true])
    expect(results[3]!.anomaly_type).toBe('battery_thermal')
    expect(results[3]!.signals[0]).toMatchObject({ signal: 'battery_voltage', value: 330, kind: 'drift' })
    expect(results[3]!.signals[0]!.threshold).toBeUndefined()
  })

  it('does not alarm on intermittent driving and charging sessions', () => {
    const agent = new DataAnalysisAgent()
    for (const seed of [11, 12, 13]) {
      const { uniform, gauss } = random(seed)
      const history = agent.createHistory()
      let ambient = 0
      for (let day = 0; day < 30; day++) {
        ambient = 0.7 * ambient + 0.8 * gauss()
        const drives = [28 + Math.floor(uniform() * 30), 62 + Math.floor(uniform() * 24)]
        const charging = uniform() < 0.5
        for (let q = 0; q < 96; q++) {
          const driving = drives.some((d) => q >= d && q < d + 6)
          const ramp = (from: number) => Math.min(1, (q - from + 1) / 3)
          let battery = 28 + ambient + 0.7 * gauss()
          for (const d of drives) if (q >= d && q < d + 6) battery += 6 * ramp(d)
          if (charging && q < 16) battery += 8 * ramp(0)
          const result = agent.analyze(
            reading(day * 96 + q, {
              battery_temperature: battery,
              motor_vibration: driving ? 0.9 + 0.15 * gauss() : 0.3 + 0.05 * gauss(),
              motor_temperature: (driving ? 80 : 50) + 3 * gauss(),
              tire_pressure: 33 + 0.3 * ambient + 0.2 * gauss(),
            }),
            history,
          )
          expect(result.anomaly_detected, `seed ${seed} day ${day} q ${q}: ${result.anomaly_reason}`).toBe(
            false,
          )
        }
      }
    }
  })

  it('needs a warm baseline: a ramp in the first day raises nothing below the threshold', () => {
    const agent = new DataAnalysisAgent()
    const history = agent.createHistory()
    for (let i = 0; i < 90; i++) {
      expect(
        agent.analyze(reading(i, { battery_temperature: 30 + i * 0.15 }), history).anomaly_detected,
      ).toBe(false)
    }
  })

  it('analyses right with a warm history: quiet on its noise, the learnt baseline in a threshold alarm', () => {
    // The speed on such a history (analyses/s) is measured by bench/detection.ts.
    const agent = new DataAnalysisAgent()
    const history = agent.createHistory()
    const { gauss } = random(9)
    let i = 0
    for (; i < 1000; i++) {
      const result = agent.analyze(
        reading(i, { battery_temperature: 32 + 3 * gauss(), motor_vibration: 0.8 + 0.05 * gauss() }),
        history,
      )
      expectValid(result)
      expect(result.anomaly_detected, `reading ${i}: ${result.anomaly_reason}`).toBe(false)
    }
    // Ten days of noise: the baseline is the mean it saw, not the noise of the last reading.
    expect(history.baselines[0]!.mean).toBeCloseTo(32, 0)

    const hot = agent.analyze(reading(i++, { battery_temperature: 50 }), history)
    expectValid(hot)
    expect(hot).toMatchObject({
      anomaly_detected: true,
      anomaly_type: 'battery_thermal',
      severity: 'High',
      raised: ['battery_thermal'],
      anomaly_reason: 'High Battery Temp: battery_temperature 50 > 45',
    })
    expect(hot.signals[0]).toMatchObject({ signal: 'battery_temperature', value: 50, threshold: 45 })
    expect(hot.signals[0]!.baseline).toBeCloseTo(32, 0)

    // Back to normal: held at Low for three readings, cleared (once) on the fourth.
    const after = Array.from({ length: 5 }, () => agent.analyze(reading(i++), history))
    expect(after.map((r) => r.severity)).toEqual(['Low', 'Low', 'Low', null, null])
    expect(after.map((r) => r.cleared)).toEqual([[], [], [], ['battery_thermal'], []])
    expect(agent.internalErrors).toBe(0)
  })
})

describe('VehicleHistory.rebase (a discontinuity in the data)', () => {
  const agent = new DataAnalysisAgent()
  const wear = (i: number, brake_pad_wear: number) => reading(i, { brake_pad_wear }) as TelemetryReading

  it('forgets the learned baseline, so a jump back is no drift', () => {
    const plain = agent.createHistory()
    const rebased = agent.createHistory()
    for (let i = 0; i < 300; i++) {
      agent.analyze(wear(i, 0.05), plain)
      agent.analyze(wear(i, 0.05), rebased)
    }
    rebased.rebase()
    const raised = (h: ReturnType<typeof agent.createHistory>) =>
      Array.from({ length: 8 }, (_, k) => agent.analyze(wear(300 + k, 0.6), h).raised).flat()
    expect(raised(plain)).toEqual(['brake_wear'])
    expect(raised(rebased)).toEqual([])
  })

  it('keeps an active type, which then clears by the usual rule', () => {
    const h = agent.createHistory()
    for (let i = 0; i < 120; i++) agent.analyze(wear(i, i < 110 ? 0.3 : 0.85), h)
    expect(h.activeTypes).toEqual(['brake_wear'])
    h.rebase()
    expect(h.activeTypes).toEqual(['brake_wear'])
    const cleared = Array.from({ length: 6 }, (_, k) => agent.analyze(wear(120 + k, 0.3), h).cleared).flat()
    expect(cleared).toEqual(['brake_wear'])
  })
})
