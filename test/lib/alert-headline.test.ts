import { describe, expect, it } from 'vitest'
import { alertHeadline } from '../../src/lib/alert-headline.js'

describe('alert headline', () => {
  it('says what is wrong in plain words, with the value and its limit in the signal’s units', () => {
    const hot = alertHeadline('battery_thermal', [
      { signal: 'battery_temperature', value: 46.3, threshold: 45, kind: 'threshold' },
    ])
    expect(hot).toBe('Battery running hot: 46 °C, limit 45 °C')
    const flat = alertHeadline('tire_pressure', [
      { signal: 'tire_pressure', value: 27.84, threshold: 30, kind: 'threshold' },
    ])
    expect(flat).toBe('Tyre pressure low: 27.8 psi, limit 30.0 psi')
  })

  it('shows fractions as percentages and a drift against what is usual for the vehicle', () => {
    expect(
      alertHeadline('brake_wear', [
        { signal: 'brake_pad_wear', value: 0.83, threshold: 0.8, kind: 'threshold' },
      ]),
    ).toBe('Brake pads worn: 83 %, limit 80 %')
    expect(
      alertHeadline('motor_bearing', [
        { signal: 'motor_vibration', value: 1.9, baseline: 0.8, kind: 'drift' },
      ]),
    ).toBe('Motor vibrating more than it should: 1.90 g, usually 0.80 g on this vehicle')
  })

  it('never shows the detector’s scores, and still says something without a usable signal', () => {
    const text = alertHeadline('battery_thermal', [
      { signal: 'battery_temperature', value: 31.56, baseline: 21.45, kind: 'drift' },
    ])
    expect(text).not.toMatch(/z |score|above baseline/)
    expect(alertHeadline('battery_degradation', [])).toBe('Battery health falling')
    expect(alertHeadline('something_new', [])).toBe('Something new high')
  })
})
