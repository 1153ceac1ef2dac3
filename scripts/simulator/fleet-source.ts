import { NUMERIC_FIELDS, type NumericField } from '../../src/schemas/telemetry.js'
import { loadTelemetryCsv, type TelemetryTable } from '../../src/simulation/csv-loader.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { sortByTimestamp } from '../../src/simulation/stream-timeline.js'

/** What a created vehicle is registered as: its source vehicle's model and batch when the fleet knows it. */
export interface SourceVehicle {
  vin: string
  model: string
  year: number | null
  batch: string | null
  /** Row indices of this vehicle, oldest first. */
  rows: Uint32Array
}

/** The values of a fleet file, per source vehicle; simulated units take their readings from them in turn. */
export interface FleetSource {
  vehicles: SourceVehicle[]
  /** One reading's signals (no timestamp, no VIN: the unit adds its clock, the token names the vehicle). */
  values(vehicle: SourceVehicle, step: number): Record<string, number>
}

export async function loadFleetSource(path: string): Promise<FleetSource> {
  const { table: loaded } = await loadTelemetryCsv(path)
  const table: TelemetryTable = sortByTimestamp(loaded)
  if (table.length === 0) throw new Error(`${path} holds no readings`)
  const byVin: number[][] = table.vins.map(() => [])
  for (let i = 0; i < table.length; i++) byVin[table.vinIds[i]!]!.push(i)
  const vehicles = table.vins.flatMap((vin, id) => {
    const rows = byVin[id]!
    if (rows.length === 0) return []
    const known = FLEET_VEHICLES.find((v) => v.vin === vin)
    return [
      {
        vin,
        model: known?.model ?? 'Simulated EV',
        year: known?.year ?? null,
        batch: known?.batch ?? null,
        rows: Uint32Array.from(rows),
      },
    ]
  })
  const fields = NUMERIC_FIELDS as readonly NumericField[]
  return {
    vehicles,
    values(vehicle, step) {
      const row = vehicle.rows[step % vehicle.rows.length]!
      const out: Record<string, number> = {}
      for (const f of fields) out[f] = table.columns[f][row]!
      return out
    },
  }
}
