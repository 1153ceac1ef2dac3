/**
 * The demo fleet: one source of truth for the dataset generator (which writes its telemetry) and
 * the database seed (which creates its owners and vehicles). Change a vehicle here and both follow.
 */

export interface FleetOwner {
  email: string
  password: string
  name: string
}

export interface FleetVehicle {
  /** A valid 17-character VIN (ISO 3779, with the North American check digit in position 9). */
  vin: string
  model: string
  year: number
  /** Manufacturing batch, `B-YYYY-MM`. */
  batch: string
  ownerEmail: string
  vehicleType: 'EV'
}

/** The batch that carries a latent battery-cooling defect (thermal paste under-applied). */
export const DEFECTIVE_BATCH = 'B-2025-01'

/** Customers who own the fleet. The first is the requirements' demo customer. */
export const FLEET_OWNERS: readonly FleetOwner[] = [
  { email: 'user@demo.com', password: 'pass123', name: 'Demo Owner' },
  { email: 'maria@demo.com', password: 'maria123', name: 'Maria Rossi' },
  { email: 'kenji@demo.com', password: 'kenji123', name: 'Kenji Sato' },
]

/**
 * Ten EVs. VINs: WMI `5AT`, VDS = model line (`VSA1E` Volt S, `CEV2E` Cargo E, `URH1E` Urban), check
 * digit, model-year code, plant (`A` cars, `C` vans) and a serial `YYMMnn` that encodes the batch.
 * They were computed with `buildVin` (src/simulation/vin.ts) and are checked by
 * test/simulation/fleet.test.ts.
 * The defective batch spans two models on purpose: the batch, not the model, is the common cause.
 */
export const FLEET_VEHICLES: readonly FleetVehicle[] = [
  {
    vin: '5ATVSA1E9SA250101',
    model: 'Autonoma Volt S',
    year: 2025,
    batch: 'B-2025-01',
    ownerEmail: 'user@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATURH1E0SA250102',
    model: 'Autonoma Urban',
    year: 2025,
    batch: 'B-2025-01',
    ownerEmail: 'user@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATCEV2E1RC240701',
    model: 'Autonoma Cargo E',
    year: 2024,
    batch: 'B-2024-07',
    ownerEmail: 'user@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATVSA1E3PA230501',
    model: 'Autonoma Volt S',
    year: 2023,
    batch: 'B-2023-05',
    ownerEmail: 'user@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATVSA1E2SA250103',
    model: 'Autonoma Volt S',
    year: 2025,
    batch: 'B-2025-01',
    ownerEmail: 'maria@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATURH1E6SA250301',
    model: 'Autonoma Urban',
    year: 2025,
    batch: 'B-2025-03',
    ownerEmail: 'maria@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATCEV2E4PC230502',
    model: 'Autonoma Cargo E',
    year: 2023,
    batch: 'B-2023-05',
    ownerEmail: 'maria@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATURH1E4SA250104',
    model: 'Autonoma Urban',
    year: 2025,
    batch: 'B-2025-01',
    ownerEmail: 'kenji@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATCEV2E3RC240702',
    model: 'Autonoma Cargo E',
    year: 2024,
    batch: 'B-2024-07',
    ownerEmail: 'kenji@demo.com',
    vehicleType: 'EV',
  },
  {
    vin: '5ATVSA1E8SA250302',
    model: 'Autonoma Volt S',
    year: 2025,
    batch: 'B-2025-03',
    ownerEmail: 'kenji@demo.com',
    vehicleType: 'EV',
  },
]
