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

/** Filled in by the dataset generator's issue; VINs are checked by a test. */
export const FLEET_VEHICLES: readonly FleetVehicle[] = []
