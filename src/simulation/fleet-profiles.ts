import { DEFECTIVE_BATCH, FLEET_OWNERS, type FleetVehicle } from './fleet.js'
import { buildVin } from './vin.js'

/** How a vehicle is used; decides its daily trips and when it charges. */
export type UsagePattern = 'commuter' | 'delivery' | 'urban'

/** Equivalent full cycles per month at each usage; used for the vehicle's history and for RUL. */
export const CYCLES_PER_MONTH: Readonly<Record<UsagePattern, number>> = {
  commuter: 5,
  delivery: 10,
  urban: 4,
}
/** SoH lost per step to calendar ageing (about 0.0012 a month). */
export const CALENDAR_FADE_PER_STEP = 0.0012 / 30 / 96
/** The BMS plugs in below this SoC at home, drawn per day; vans charge at the depot every night. */
export const PLUG_BELOW: Readonly<Record<UsagePattern, [number, number]>> = {
  commuter: [0.5, 0.75],
  delivery: [0.9, 0.9],
  urban: [0.35, 0.6],
}

/** The physical constants of a model line. */
export interface ModelSpec {
  model: string
  /** VIN positions 4-8. */
  vds: string
  /** VIN position 11. */
  plant: string
  usage: UsagePattern
  capacityKwh: number
  cellsInSeries: number
  /** Pack internal resistance when new, ohms. */
  packResistance: number
  curbMassKg: number
  /** Drag coefficient times frontal area, m^2. */
  cdA: number
  wheelRadiusM: number
  gearRatio: number
  acChargeKw: number
  dcChargeKw: number
  /** Pad wear (fraction of the pad) per km of mixed driving. */
  padWearPerKm: number
  /** Expected km per day, for remaining-life estimates. */
  kmPerDay: number
}

export const MODEL_SPECS: readonly ModelSpec[] = [
  {
    model: 'Autonoma Volt S',
    vds: 'VSA1E',
    plant: 'A',
    usage: 'commuter',
    capacityKwh: 75,
    cellsInSeries: 96,
    packResistance: 0.085,
    curbMassKg: 2050,
    cdA: 0.58,
    wheelRadiusM: 0.34,
    gearRatio: 9.0,
    acChargeKw: 11,
    dcChargeKw: 90,
    padWearPerKm: 1 / 70_000,
    kmPerDay: 90,
  },
  {
    model: 'Autonoma Cargo E',
    vds: 'CEV2E',
    plant: 'C',
    usage: 'delivery',
    capacityKwh: 90,
    cellsInSeries: 108,
    packResistance: 0.1,
    curbMassKg: 2450,
    cdA: 1.75,
    wheelRadiusM: 0.35,
    gearRatio: 10.5,
    acChargeKw: 22,
    dcChargeKw: 80,
    padWearPerKm: 1 / 60_000,
    kmPerDay: 170,
  },
  {
    model: 'Autonoma Urban',
    vds: 'URH1E',
    plant: 'A',
    usage: 'urban',
    capacityKwh: 50,
    cellsInSeries: 96,
    packResistance: 0.11,
    curbMassKg: 1550,
    cdA: 0.62,
    wheelRadiusM: 0.31,
    gearRatio: 8.5,
    acChargeKw: 7.4,
    dcChargeKw: 50,
    padWearPerKm: 1 / 65_000,
    kmPerDay: 38,
  },
]

export function modelSpec(model: string): ModelSpec {
  const spec = MODEL_SPECS.find((m) => m.model === model)
  if (!spec) throw new Error(`unknown model '${model}'`)
  return spec
}

/** Where an owner's vehicles run: local time zone and October weather. */
export interface Climate {
  name: string
  /** Fixed UTC offset; daylight-saving changes are ignored. */
  utcOffsetHours: number
  meanC: number
  /** Half the day-night swing, C. */
  amplitudeC: number
  humidity: number
}

const CLIMATES: Readonly<Record<string, Climate>> = {
  'user@demo.com': { name: 'San Jose', utcOffsetHours: -7, meanC: 19, amplitudeC: 6, humidity: 58 },
  'maria@demo.com': { name: 'Milan', utcOffsetHours: 2, meanC: 15, amplitudeC: 5, humidity: 72 },
  'kenji@demo.com': { name: 'Tokyo', utcOffsetHours: 9, meanC: 20, amplitudeC: 4, humidity: 66 },
}

const DEFAULT_CLIMATE: Climate = {
  name: 'Default',
  utcOffsetHours: 0,
  meanC: 17,
  amplitudeC: 5,
  humidity: 62,
}

export function climateFor(ownerEmail: string): Climate {
  return CLIMATES[ownerEmail] ?? DEFAULT_CLIMATE
}

/** Whole months between a `B-YYYY-MM` batch and a date: how long the vehicle has been in service. */
export function batchAgeMonths(batch: string, at: Date): number {
  const match = /^B-(\d{4})-(\d{2})$/.exec(batch)
  if (!match) throw new Error(`bad batch '${batch}'`)
  const months = (at.getUTCFullYear() - Number(match[1])) * 12 + at.getUTCMonth() + 1 - Number(match[2])
  return Math.max(1, months)
}

/** Batches of the synthetic fleet, with the model year of the vehicles built in them. */
const SYNTHETIC_BATCHES = [
  { batch: 'B-2023-05', year: 2023 },
  { batch: 'B-2024-07', year: 2024 },
  { batch: DEFECTIVE_BATCH, year: 2025 },
  { batch: 'B-2025-03', year: 2025 },
] as const

/**
 * `count` made-up vehicles for benchmarks (e.g. 1,000), spread evenly over models, batches and
 * owners. Plant code `S` keeps their VINs apart from the demo fleet's.
 */
export function syntheticFleet(count: number): FleetVehicle[] {
  if (!Number.isInteger(count) || count < 1 || count > 999_999) {
    throw new Error(`vehicle count must be 1..999999, got ${count}`)
  }
  const vehicles: FleetVehicle[] = []
  for (let i = 0; i < count; i++) {
    const spec = MODEL_SPECS[i % MODEL_SPECS.length]!
    const { batch, year } = SYNTHETIC_BATCHES[Math.floor(i / MODEL_SPECS.length) % SYNTHETIC_BATCHES.length]!
    const vin = buildVin({
      wmi: '5AT',
      vds: spec.vds,
      year,
      plant: 'S',
      serial: String(i + 1).padStart(6, '0'),
    })
    // Shifted every third vehicle so that owners do not line up with models.
    const owner = FLEET_OWNERS[(i + Math.floor(i / MODEL_SPECS.length)) % FLEET_OWNERS.length]!
    vehicles.push({ vin, model: spec.model, year, batch, ownerEmail: owner.email, vehicleType: 'EV' })
  }
  return vehicles
}
