/**
 * The shipped dataset (data/fleet_15min.csv and data/fleet_faults.json), parsed once per test
 * file. The CSV has no quoted fields (a test checks), so splitting on commas is a faithful parse.
 */
import { readFileSync } from 'node:fs'
import type { FaultEpisode, FleetGroundTruth, HARD_LIMITS } from '../../src/simulation/fleet-generator.js'

export const csvText = readFileSync(new URL('../../data/fleet_15min.csv', import.meta.url), 'utf8')
export const faultsText = readFileSync(new URL('../../data/fleet_faults.json', import.meta.url), 'utf8')
export const truth = JSON.parse(faultsText) as FleetGroundTruth

const lines = csvText.trimEnd().split('\n')
export const header = lines[0]!.split(',')
const columnIndex = new Map(header.map((name, i) => [name, i]))

export interface Row {
  vin: string
  ts: string
  v: number[]
}

export const rows: Row[] = lines.slice(1).map((line) => {
  const cells = line.split(',')
  return { vin: cells[0]!, ts: cells[1]!, v: cells.map(Number) }
})

export const byVin = new Map<string, Row[]>()
for (const r of rows) {
  const series = byVin.get(r.vin)
  if (series) series.push(r)
  else byVin.set(r.vin, [r])
}

/** The CSV column behind each hard limit of the detection rules. */
export const LIMIT_COLUMNS = {
  battery_temperature: 'Battery_Temperature',
  motor_vibration: 'Motor_Vibration',
  motor_temperature: 'Motor_Temperature',
  tire_pressure: 'Tire_Pressure',
  brake_pad_wear: 'Brake_Pad_Wear',
  soh: 'SoH',
} as const satisfies Record<keyof typeof HARD_LIMITS, string>

/** ISO-8601 -> the CSV's `YYYY-MM-DD HH:MM:SS`, which sorts the same way as a string. */
export const csvTs = (iso: string) => iso.slice(0, 19).replace('T', ' ')
export const inWindow = (r: Row, f: FaultEpisode) =>
  r.vin === f.vin && r.ts >= csvTs(f.start) && r.ts < csvTs(f.end)
const windows = new Map<string, [string, string][]>()
for (const f of truth.faults)
  windows.set(f.vin, [...(windows.get(f.vin) ?? []), [csvTs(f.start), csvTs(f.end)]])
export const inAnyWindow = (r: Row) => (windows.get(r.vin) ?? []).some(([a, b]) => r.ts >= a && r.ts < b)

export function value(r: Row, column: string): number {
  const i = columnIndex.get(column)
  if (i === undefined) throw new Error(`no column ${column}`)
  return r.v[i]!
}
