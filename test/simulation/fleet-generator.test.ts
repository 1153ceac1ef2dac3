import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { PUBLIC_COLUMNS } from '../../src/schemas/telemetry.js'
import { DEFECTIVE_BATCH, FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import {
  crossesLimit,
  formatFleetCsv,
  formatGroundTruth,
  generateFleet,
  type HARD_LIMITS,
  PRIMARY_SIGNAL,
  syntheticFleet,
} from '../../src/simulation/fleet-generator.js'
import {
  byVin,
  csvText,
  csvTs,
  faultsText,
  header,
  inAnyWindow,
  inWindow,
  LIMIT_COLUMNS,
  rows,
  truth,
  value,
} from './fleet-file.js'

describe('the shipped dataset', () => {
  it('is exactly what the generator makes with the default options', () => {
    const fresh = generateFleet()
    const sha = (text: string) => createHash('sha256').update(text).digest('hex')
    expect(sha(formatFleetCsv(fresh.rows))).toBe(sha(csvText))
    expect(formatGroundTruth(fresh.groundTruth)).toBe(faultsText)
  })

  it('has the header VIN + the 30 public columns and no quoted fields', () => {
    expect(header).toEqual(['VIN', ...PUBLIC_COLUMNS])
    expect(csvText.includes('"')).toBe(false)
    expect(csvText.length).toBeLessThan(10_000_000)
  })

  it('holds 2,880 rows per vehicle at 15-minute steps, sorted by timestamp then VIN', () => {
    expect(rows).toHaveLength(28_800)
    expect([...byVin.keys()].sort()).toEqual(FLEET_VEHICLES.map((v) => v.vin).sort())
    for (const series of byVin.values()) expect(series).toHaveLength(2880)
    expect(rows[0]!.ts).toBe('2026-10-01 00:00:00')
    expect(rows.at(-1)!.ts).toBe('2026-10-30 23:45:00')
    const unsorted = rows.filter((b, i) => {
      const a = rows[i - 1]
      return a !== undefined && !(a.ts < b.ts || (a.ts === b.ts && a.vin < b.vin))
    })
    expect(unsorted).toEqual([])
    // Every vehicle reports at every step.
    const stamps = [...new Set(rows.map((r) => r.ts))]
    expect(stamps).toHaveLength(2880)
    expect(Date.parse(`${stamps[1]!}Z`) - Date.parse(`${stamps[0]!}Z`)).toBe(15 * 60_000)
    for (const r of rows.filter((_, i) => i % 997 === 0)) {
      expect(r.ts).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:(00|15|30|45):00$/)
      expect(r.v.slice(2).every(Number.isFinite)).toBe(true)
    }
    expect(truth).toMatchObject({ seed: 42, step_minutes: 15, start: '2026-10-01T00:00:00.000Z' })
    expect(truth.vehicles).toEqual(FLEET_VEHICLES)
  })
})

describe('generation', () => {
  it('is deterministic: same seed, same CSV; another seed, another CSV', () => {
    const a = formatFleetCsv(generateFleet({ seed: 42, days: 3 }).rows)
    const b = formatFleetCsv(generateFleet({ seed: 42, days: 3 }).rows)
    const c = formatFleetCsv(generateFleet({ seed: 7, days: 3 }).rows)
    expect(a).toBe(b)
    expect(c).not.toBe(a)
  })

  it('runs short ranges (no room for faults) and synthetic fleets', () => {
    const short = generateFleet({ days: 2 })
    expect(short.rows).toHaveLength(10 * 192)
    expect(short.faults).toEqual([])
    const synthetic = generateFleet({ days: 6, vehicles: syntheticFleet(24) })
    expect(synthetic.rows).toHaveLength(24 * 6 * 96)
    expect(synthetic.faults.every((f) => f.threshold_crossed_at !== null)).toBe(true)
    const thermal = synthetic.faults.filter((f) => f.kind === 'battery_thermal')
    expect(thermal.filter((f) => f.batch === DEFECTIVE_BATCH).length).toBeGreaterThan(0)
  })

  it('rejects bad options', () => {
    expect(() => generateFleet({ days: 0 })).toThrow()
    expect(() => generateFleet({ start: '2026-10-01T00:07:00Z' })).toThrow()
    expect(() => generateFleet({ vehicles: [FLEET_VEHICLES[0]!, FLEET_VEHICLES[0]!] })).toThrow(/duplicate/)
  })
})

describe('ground truth', () => {
  const faults = truth.faults
  const ofKind = (kind: string) => faults.filter((f) => f.kind === kind)
  const vehiclesWith = (kind: string) => new Set(ofKind(kind).map((f) => f.vin))

  it('injects the planned mix of faults, with the defective batch standing out', () => {
    const defective = FLEET_VEHICLES.filter((v) => v.batch === DEFECTIVE_BATCH)
    for (const v of defective) {
      const n = ofKind('battery_thermal').filter((f) => f.vin === v.vin).length
      expect(n, v.vin).toBeGreaterThanOrEqual(1)
      expect(n, v.vin).toBeLessThanOrEqual(2)
    }
    const outside = [...vehiclesWith('battery_thermal')].filter(
      (vin) => !defective.some((v) => v.vin === vin),
    )
    expect(outside.length).toBeLessThanOrEqual(1)
    expect(vehiclesWith('bearing_wear').size).toBeGreaterThanOrEqual(1)
    expect(vehiclesWith('bearing_wear').size).toBeLessThanOrEqual(2)
    expect(vehiclesWith('slow_leak').size).toBeGreaterThanOrEqual(1)
    expect(vehiclesWith('slow_leak').size).toBeLessThanOrEqual(2)
    expect(ofKind('brake_wear')).toHaveLength(1)
    const component = {
      battery_thermal: 'battery',
      bearing_wear: 'motor',
      slow_leak: 'tires',
      brake_wear: 'brakes',
    }
    for (const f of faults) {
      expect(f.component).toBe(component[f.kind])
      expect(f.batch).toBe(FLEET_VEHICLES.find((v) => v.vin === f.vin)!.batch)
      expect(f.signals[0]).toBe(PRIMARY_SIGNAL[f.kind])
    }
  })

  it('keeps episodes inside the range, after a 3-day baseline, a day apart on each vehicle', () => {
    const day = 86_400_000
    const t = (iso: string) => Date.parse(iso)
    for (const f of faults) {
      expect(t(f.start)).toBeGreaterThanOrEqual(t(truth.start) + 3 * day)
      expect(t(f.start)).toBeLessThan(t(f.threshold_crossed_at!))
      expect(t(f.threshold_crossed_at!)).toBeLessThan(t(f.end))
      expect(t(f.end)).toBeLessThan(t(truth.end))
      for (const g of faults) {
        if (g === f || g.vin !== f.vin) continue
        expect(t(g.start) >= t(f.end) + day || t(f.start) >= t(g.end) + day, `${f.id} vs ${g.id}`).toBe(true)
      }
    }
    const brake = ofKind('brake_wear')[0]!
    expect(t(brake.threshold_crossed_at!)).toBeGreaterThan(t(truth.start) + 18 * day)
  })

  it('matches the file: normal before start, crossing at threshold_crossed_at, normal from end', () => {
    for (const f of faults) {
      const signal = PRIMARY_SIGNAL[f.kind]
      const column = LIMIT_COLUMNS[signal]
      const series = byVin.get(f.vin)!
      const crossing = series.findIndex(
        (r) => r.ts >= csvTs(f.start) && crossesLimit(signal, value(r, column)),
      )
      expect(series[crossing]!.ts, f.id).toBe(csvTs(f.threshold_crossed_at!))
      // Outside every window (other episodes of the same vehicle have their own checks).
      const before = series.filter((r) => r.ts < csvTs(f.start) && !inAnyWindow(r))
      const after = series.filter((r) => r.ts >= csvTs(f.end) && !inAnyWindow(r))
      const endRow = series.find((r) => r.ts === csvTs(f.end))!
      expect(crossesLimit(signal, value(endRow, column)), `${f.id} end`).toBe(false)
      expect(inAnyWindow(series[series.indexOf(endRow) - 1]!)).toBe(true)
      const crossedOutside = [...before, ...after].filter((r) => crossesLimit(signal, value(r, column)))
      expect(
        crossedOutside.map((r) => r.ts),
        f.id,
      ).toEqual([])
      // The peak in the ground truth is the extreme the file shows in the window.
      const window = series.filter((r) => inWindow(r, f))
      for (const [s, peak] of Object.entries(f.peak)) {
        const xs = window.map((r) =>
          value(
            r,
            s === 'battery_voltage' ? 'Battery_Voltage' : LIMIT_COLUMNS[s as keyof typeof LIMIT_COLUMNS],
          ),
        )
        const low = s === 'tire_pressure' || s === 'battery_voltage'
        expect(low ? Math.min(...xs) : Math.max(...xs), `${f.id} ${s}`).toBe(peak)
      }
    }
    for (const f of ofKind('battery_thermal')) {
      expect(f.peak.battery_temperature).toBeGreaterThan(47)
      expect(f.peak.battery_temperature).toBeLessThan(62)
      const hot = byVin.get(f.vin)!.filter((r) => inWindow(r, f) && value(r, 'Battery_Temperature') > 45)
      expect(hot.length, f.id).toBeGreaterThanOrEqual(8)
    }
    for (const f of ofKind('bearing_wear')) expect(f.peak.motor_vibration).toBeGreaterThan(2.2)
    for (const f of ofKind('slow_leak')) expect(f.peak.tire_pressure).toBeLessThan(26)
    for (const f of ofKind('brake_wear')) expect(f.peak.brake_pad_wear).toBeGreaterThan(0.8)
  })

  it('has no reading beyond a hard limit, and no failure label, outside fault windows', () => {
    const normal = rows.filter((r) => !inAnyWindow(r))
    for (const r of normal) {
      for (const [signal, column] of Object.entries(LIMIT_COLUMNS)) {
        const crossed = crossesLimit(signal as keyof typeof HARD_LIMITS, value(r, column))
        if (crossed) expect.fail(`${r.vin} ${r.ts} ${column}=${value(r, column)}`)
      }
      if (value(r, 'Failure_Probability') !== 0) expect.fail(`${r.vin} ${r.ts} Failure_Probability`)
    }
    // Clearly inside the limits, not just under them.
    const max = (column: string) => Math.max(...normal.map((r) => value(r, column)))
    const min = (column: string) => Math.min(...normal.map((r) => value(r, column)))
    expect(max('Battery_Temperature')).toBeLessThanOrEqual(43)
    expect(max('Motor_Vibration')).toBeLessThan(0.9)
    expect(max('Motor_Temperature')).toBeLessThan(90)
    expect(min('Tire_Pressure')).toBeGreaterThan(31)
    expect(max('Brake_Pad_Wear')).toBeLessThan(0.7)
    expect(min('SoH')).toBeGreaterThan(0.85)
    for (const f of faults) {
      const window = byVin.get(f.vin)!.filter((r) => inWindow(r, f))
      expect(
        window.some((r) => value(r, 'Failure_Probability') === 1),
        f.id,
      ).toBe(true)
      expect(
        window.some((r) => value(r, 'Maintenance_Type') === 3),
        f.id,
      ).toBe(true)
    }
  })
})
