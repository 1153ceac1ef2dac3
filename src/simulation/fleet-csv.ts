import { stringify } from 'csv-stringify/sync'
import { PUBLIC_COLUMNS, type PublicColumn } from '../schemas/telemetry.js'

export type NumericColumn = Exclude<PublicColumn, 'Timestamp'>

/** One row of our fleet file: the public columns plus a leading VIN, values already rounded. */
export type FleetRow = { VIN: string; Timestamp: string } & Record<NumericColumn, number>

/** The header of data/fleet_15min.csv. */
export const FLEET_CSV_COLUMNS = ['VIN', ...PUBLIC_COLUMNS] as const

/** Decimal places per column: enough for the physics to show, few enough to keep the file small. */
export const COLUMN_DECIMALS: Readonly<Record<NumericColumn, number>> = {
  SoC: 4,
  SoH: 4,
  Battery_Voltage: 2,
  Battery_Current: 2,
  Battery_Temperature: 2,
  Charge_Cycles: 2,
  Motor_Temperature: 2,
  Motor_Vibration: 3,
  Motor_Torque: 2,
  Motor_RPM: 1,
  Power_Consumption: 3,
  Brake_Pad_Wear: 4,
  Brake_Pressure: 2,
  Reg_Brake_Efficiency: 3,
  Tire_Pressure: 2,
  Tire_Temperature: 2,
  Suspension_Load: 2,
  Ambient_Temperature: 2,
  Ambient_Humidity: 2,
  Load_Weight: 1,
  Driving_Speed: 2,
  Distance_Traveled: 3,
  Idle_Time: 4,
  Route_Roughness: 3,
  RUL: 1,
  Failure_Probability: 0,
  Maintenance_Type: 0,
  TTF: 1,
  Component_Health_Score: 3,
}

const NUMERIC_COLUMNS = PUBLIC_COLUMNS.slice(1) as NumericColumn[]

const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

/**
 * Rounds to the column's precision. Rounding in memory (not only when printing) means a row read
 * back from the CSV holds exactly the numbers the generator checked against the limits.
 */
export function roundTo(value: number, decimals: number): number {
  const f = POW10[decimals] ?? 10 ** decimals
  const r = Math.round(value * f) / f
  return r === 0 ? 0 : r
}

/** `2026-10-01T00:15:00.000Z` -> `2026-10-01 00:15:00` */
export function csvTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

function record(row: FleetRow): string[] {
  const out = [row.VIN, row.Timestamp]
  for (const column of NUMERIC_COLUMNS) out.push(row[column].toFixed(COLUMN_DECIMALS[column]))
  return out
}

/**
 * CSV text for `rows`, optionally preceded by the header. Writing a file in chunks with this
 * (header on the first chunk only) gives the same bytes as one call over all rows.
 */
export function formatFleetCsv(rows: readonly FleetRow[], header = true): string {
  const parts = header ? [stringify([[...FLEET_CSV_COLUMNS]])] : []
  // In chunks, so that the per-field garbage of csv-stringify dies young (less GC work).
  for (let i = 0; i < rows.length; i += 1000) parts.push(stringify(rows.slice(i, i + 1000).map(record)))
  return parts.join('')
}
