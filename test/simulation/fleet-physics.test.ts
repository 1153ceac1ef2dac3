import { describe, expect, it } from 'vitest'
import { byVin, csvTs, inAnyWindow, type Row, truth, value } from './fleet-file.js'

function pearson(a: number[], b: number[]): number {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
  const ma = mean(a)
  const mb = mean(b)
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb)
    saa += (a[i]! - ma) ** 2
    sbb += (b[i]! - mb) ** 2
  }
  return sab / Math.sqrt(saa * sbb)
}

describe('physics', () => {
  // Violations are collected and checked once: an expect() per row would dominate the run time.
  const check = (fn: (prev: Row, r: Row, vin: string) => string | undefined) => {
    const problems: string[] = []
    for (const [vin, series] of byVin) {
      for (let i = 1; i < series.length; i++) {
        const problem = fn(series[i - 1]!, series[i]!, vin)
        if (problem) problems.push(`${vin} ${series[i]!.ts}: ${problem}`)
      }
    }
    expect(problems.slice(0, 5)).toEqual([])
  }

  it('ages the battery: SoH never rises, charge cycles never fall, SoH ends lower', () => {
    check((prev, r) => (value(r, 'SoH') > value(prev, 'SoH') ? 'SoH rose' : undefined))
    check((prev, r) => (value(r, 'Charge_Cycles') < value(prev, 'Charge_Cycles') ? 'cycles fell' : undefined))
    for (const [vin, series] of byVin) {
      expect(value(series.at(-1)!, 'SoH'), vin).toBeLessThan(value(series[0]!, 'SoH') - 0.003)
    }
  })

  it('warms the battery with current: positive correlation within each vehicle', () => {
    for (const [vin, series] of byVin) {
      const normal = series.filter((r) => !inAnyWindow(r))
      const current = normal.map((r) => Math.abs(value(r, 'Battery_Current')))
      const temperature = normal.map((r) => value(r, 'Battery_Temperature'))
      expect(pearson(current, temperature), vin).toBeGreaterThan(0.1)
    }
  })

  it('wears brake pads monotonically, except when they are replaced at a brake fault', () => {
    const replacements = new Set(
      truth.faults.filter((f) => f.kind === 'brake_wear').map((f) => `${f.vin} ${csvTs(f.end)}`),
    )
    expect(replacements.size).toBe(1)
    check((prev, r, vin) => {
      const drop = value(r, 'Brake_Pad_Wear') < value(prev, 'Brake_Pad_Wear')
      return drop && !replacements.has(`${vin} ${r.ts}`) ? 'pad wear fell' : undefined
    })
    for (const key of replacements) {
      const [vin, date, time] = key.split(' ')
      const r = byVin.get(vin!)!.find((x) => x.ts === `${date} ${time}`)!
      expect(value(r, 'Brake_Pad_Wear')).toBeLessThan(0.1)
    }
  })

  it('moves SoC with current, and keeps speed, distance and idle time consistent', () => {
    check((prev, r) => {
      const dSoc = value(r, 'SoC') - value(prev, 'SoC')
      const current = value(r, 'Battery_Current')
      if (current < -2 && !(dSoc < 0)) return 'discharging but SoC did not fall'
      if (current > 2 && value(prev, 'SoC') < 0.99 && !(dSoc > 0)) return 'charging but SoC did not rise'
      const speed = value(r, 'Driving_Speed')
      const idle = value(r, 'Idle_Time')
      if (Math.abs(value(r, 'Distance_Traveled') - speed * (0.25 - idle)) > 0.01)
        return 'distance != speed x time'
      if (speed === 0 && (idle !== 0.25 || value(r, 'Motor_RPM') !== 0)) return 'parked but moving'
      if (speed > 0 && (value(r, 'Motor_RPM') <= 0 || value(r, 'Motor_Torque') <= 0))
        return 'moving without rpm'
      if (!(value(r, 'SoC') > 0 && value(r, 'SoC') <= 1)) return 'SoC out of range'
      return undefined
    })
  })

  it('keeps label columns in their ranges', () => {
    check((_, r) => {
      const ok =
        [0, 1].includes(value(r, 'Failure_Probability')) &&
        [0, 1, 2, 3].includes(value(r, 'Maintenance_Type')) &&
        value(r, 'RUL') >= 0 &&
        value(r, 'RUL') <= 300 &&
        value(r, 'TTF') >= 0 &&
        value(r, 'TTF') <= 200 &&
        value(r, 'Component_Health_Score') >= 0 &&
        value(r, 'Component_Health_Score') <= 1
      return ok ? undefined : 'label out of range'
    })
  })
})
