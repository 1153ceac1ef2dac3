import { describe, expect, it } from 'vitest'
import { DataAnalysisAgent } from '../../src/agents/detection/data-agent.js'
import { DiagnosisAgent, KNOWLEDGE, matchKnowledge } from '../../src/agents/workers/diagnosis-agent.js'
import { BUILTIN_ANOMALY_TYPES, DiagnosisSchema, type Signal } from '../../src/schemas/analysis.js'

const agent = new DiagnosisAgent()
const hot: Signal = { signal: 'battery_temperature', value: 52, threshold: 45, score: 0.8, kind: 'threshold' }

describe('DiagnosisAgent', () => {
  it('maps the human label "High Battery Temp" to the battery-thermal diagnosis', () => {
    const d = agent.diagnose('High Battery Temp')
    expect(DiagnosisSchema.safeParse(d).success).toBe(true)
    expect(d.diagnosis_text).toBe('Battery thermal management failure')
    expect(d.component).toBe('battery')
    expect(d.pattern).toBe('battery_thermal')
    expect(d.severity).toBe('High')
    expect(d.root_cause).toMatch(/cooling/)
  })

  it('matches type ids, labels, reasons and field names', () => {
    expect(agent.diagnose('battery_thermal').pattern).toBe('battery_thermal')
    expect(agent.diagnose('High Battery Temp: battery_temperature 52.1 > 45').pattern).toBe('battery_thermal')
    expect(agent.diagnose('High Motor Vibration').pattern).toBe('motor_bearing')
    expect(agent.diagnose('Motor Overheating: motor_temperature 105 > 100').pattern).toBe('motor_overheat')
    expect(agent.diagnose('Low Tire Pressure').pattern).toBe('tire_pressure')
    expect(agent.diagnose('Brake Pads Worn').pattern).toBe('brake_wear')
    expect(agent.diagnose('Battery Degradation: soh 0.65 < 0.7').pattern).toBe('battery_degradation')
    expect(matchKnowledge('Battery thermal management failure')).toBe('battery_thermal')
    expect(matchKnowledge('josh')).toBeUndefined()
  })

  it('has a knowledge entry for every built-in anomaly type', () => {
    for (const type of BUILTIN_ANOMALY_TYPES) {
      expect(KNOWLEDGE[type]).toBeDefined()
      expect(agent.diagnose({ type }).pattern).toBe(type)
    }
  })

  it('diagnoses thermal runaway from high battery temperature with low voltage, Critical', () => {
    const base = agent.diagnose({ type: 'battery_thermal', severity: 'High', signals: [hot] })
    const sag: Signal = { signal: 'battery_voltage', value: 280, score: 0.5, kind: 'threshold' }
    const runaway = agent.diagnose({ type: 'battery_thermal', severity: 'High', signals: [hot, sag] })
    expect(runaway.diagnosis_text).toBe('Thermal runaway risk')
    expect(runaway.severity).toBe('Critical')
    expect(runaway.pattern).toBe('thermal_runaway')
    expect(runaway.confidence).toBeGreaterThan(base.confidence)

    // The same combination from the current reading, or from free text.
    expect(
      agent.diagnose({ type: 'battery_thermal', signals: [hot] }, { battery_voltage: 250 }).pattern,
    ).toBe('thermal_runaway')
    expect(
      agent.diagnose({ type: 'battery_thermal', signals: [hot] }, { battery_voltage: 380 }).pattern,
    ).toBe('battery_thermal')
    expect(agent.diagnose('High Battery Temp with low voltage').severity).toBe('Critical')
    // A voltage sag alone is not thermal runaway.
    expect(agent.diagnose({ type: 'battery_thermal', signals: [sag] }).pattern).toBe('battery_thermal')
    expect(agent.diagnose('High Battery Temp', { battery_voltage: 290 }).severity).toBe('Critical')
  })

  it('follows the input severity; the knowledge table only raises it', () => {
    expect(agent.diagnose({ type: 'motor_bearing', severity: 'Low' }).severity).toBe('Low')
    expect(agent.diagnose({ type: 'motor_bearing', severity: 'Critical' }).severity).toBe('Critical')
    expect(agent.diagnose({ type: 'thermal_runaway', severity: 'Low' }).severity).toBe('Critical')
  })

  it('is more confident on threshold evidence than on drift evidence', () => {
    const drift: Signal = {
      signal: 'battery_temperature',
      value: 38,
      baseline: 30,
      z: 9,
      score: 0.3,
      kind: 'drift',
    }
    const onThreshold = agent.diagnose({ type: 'battery_thermal', signals: [hot] })
    const onDrift = agent.diagnose({ type: 'battery_thermal', signals: [drift] })
    expect(onThreshold.confidence).toBeGreaterThan(onDrift.confidence)
  })

  it('falls back to a low-confidence generic diagnosis for unknown input, never throwing', () => {
    for (const input of ['squeaky glovebox', '', {}, { type: 'cabin_heat', label: 'Hot Cabin' }, null, 42]) {
      const d = agent.diagnose(input as never)
      expect(DiagnosisSchema.safeParse(d).success).toBe(true)
      expect(d.pattern).toBe('unclassified')
      expect(d.diagnosis_text).toMatch(/^Unclassified anomaly/)
      expect(d.confidence).toBeLessThanOrEqual(0.3)
    }
    expect(agent.diagnose({ type: 'cabin_heat', label: 'Hot Cabin', component: 'cabin' })).toMatchObject({
      diagnosis_text: 'Unclassified anomaly: Hot Cabin',
      component: 'cabin',
    })
  })

  it('diagnoses the data agent anomaly objects directly', () => {
    const data = new DataAnalysisAgent()
    const result = data.analyze(
      { vin: 'V', timestamp: '2025-01-01T00:00:00Z', battery_temperature: 58, battery_voltage: 270 } as never,
      data.createHistory(),
    )
    const anomaly = result.anomalies[0]!
    expect(agent.diagnose(anomaly).pattern).toBe('battery_thermal')
    expect(agent.diagnose(anomaly, { battery_voltage: 270 })).toMatchObject({
      pattern: 'thermal_runaway',
      severity: 'Critical',
    })
  })
})
