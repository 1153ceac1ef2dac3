import { hashPassword } from '../auth/passwords.js'
import type { Role } from '../domain.js'
import { FLEET_OWNERS, FLEET_VEHICLES, type FleetVehicle } from '../simulation/fleet.js'
import type { Db } from './client.js'
import type { NewVehicle } from './schema.js'

/** The requirements' demo accounts that are not fleet owners (the owners come from the fleet). */
export const DEMO_STAFF: ReadonlyArray<{ email: string; password: string; role: Role; name: string }> = [
  { email: 'service@ey.com', password: 'ey_secure', role: 'service', name: 'Service Desk' },
  { email: 'admin@oem.com', password: 'admin_pass', role: 'manufacturer', name: 'OEM Quality' },
]

export const DEMO_SERVICE_CENTERS = [
  {
    name: 'Autonoma Service Hub North',
    city: 'Berlin',
    bays: 2,
    opening_hour: 8,
    closing_hour: 18,
    slot_minutes: 60,
    timezone: 'Europe/Berlin',
  },
  {
    name: 'Autonoma Service Hub South',
    city: 'Munich',
    bays: 3,
    opening_hour: 7,
    closing_hour: 19,
    slot_minutes: 90,
    timezone: 'Europe/Berlin',
  },
] as const

/** A fleet vehicle as a `vehicles` row, its owner looked up by email. */
export function vehicleRow(v: FleetVehicle, idByEmail: ReadonlyMap<string, string>): NewVehicle {
  const ownerId = idByEmail.get(v.ownerEmail)
  if (!ownerId) throw new Error(`Fleet vehicle ${v.vin} names unknown owner ${v.ownerEmail}`)
  return {
    owner_id: ownerId,
    vin: v.vin,
    model: v.model,
    year: v.year,
    vehicle_type: v.vehicleType,
    batch: v.batch,
  }
}

export interface SeedReport {
  seeded: boolean
  users: number
  vehicles: number
  serviceCenters: number
}

/**
 * Seeds the demo accounts, service centres and the fleet into an EMPTY database, in one
 * transaction. A database that already has users is left alone, so restarts and real data are safe.
 */
export async function seedDemoData(db: Db): Promise<SeedReport> {
  const accounts = [...FLEET_OWNERS.map((o) => ({ ...o, role: 'customer' as const })), ...DEMO_STAFF]
  // Hash before opening the transaction: argon2 is slow on purpose and must not hold locks.
  const hashes = await Promise.all(accounts.map((a) => hashPassword(a.password)))
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    if (Number(existing.n) > 0) return { seeded: false, users: 0, vehicles: 0, serviceCenters: 0 }

    const centers = await trx
      .insertInto('service_centers')
      .values([...DEMO_SERVICE_CENTERS])
      .returningAll()
      .execute()
    const users = await trx
      .insertInto('users')
      .values(
        accounts.map((a, i) => ({
          email: a.email,
          name: a.name,
          role: a.role,
          password_hash: hashes[i]!,
          service_center_id: a.role === 'service' ? (centers[0]?.id ?? null) : null,
        })),
      )
      .returning(['id', 'email'])
      .execute()
    const idByEmail = new Map(users.map((u) => [u.email, u.id]))
    if (FLEET_VEHICLES.length > 0) {
      await trx
        .insertInto('vehicles')
        .values(FLEET_VEHICLES.map((v) => vehicleRow(v, idByEmail)))
        .execute()
    }
    return {
      seeded: true,
      users: users.length,
      vehicles: FLEET_VEHICLES.length,
      serviceCenters: centers.length,
    }
  })
}
