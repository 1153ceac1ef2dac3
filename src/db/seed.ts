import type { Role } from '../domain.js'
import type { Db } from './client.js'
import type { NewServiceCenter, NewVehicle } from './schema.js'

/** What to seed: the caller (the composition root) knows the demo fleet and hashes passwords. */
export interface SeedInput {
  accounts: ReadonlyArray<{ email: string; name: string; role: Role; passwordHash: string }>
  serviceCenters: ReadonlyArray<NewServiceCenter>
  vehicles: ReadonlyArray<SeedVehicle>
}

/** A vehicle to seed, its owner named by email. */
export interface SeedVehicle {
  vin: string
  ownerEmail: string
  model: string
  year: number
  vehicleType: 'EV' | 'ICE'
  batch: string
}

/** A seed vehicle as a `vehicles` row, its owner looked up by email. */
export function vehicleRow(v: SeedVehicle, idByEmail: ReadonlyMap<string, string>): NewVehicle {
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

const NOT_SEEDED: SeedReport = { seeded: false, users: 0, vehicles: 0, serviceCenters: 0 }

async function hasUsers(db: Db): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined
}

/**
 * Seeds accounts, service centres and vehicles into an EMPTY database, in one transaction. A
 * database that already has users is left alone, so restarts and real data are safe. `input` may
 * be a function: it is then called only for an empty database, so that a restart skips building
 * it (password hashing, slow on purpose), and before the transaction opens, so that it holds no lock.
 */
export async function seedDatabase(
  db: Db,
  input: SeedInput | (() => Promise<SeedInput>),
): Promise<SeedReport> {
  const seed = typeof input !== 'function' ? input : (await hasUsers(db)) ? undefined : await input()
  if (!seed) return NOT_SEEDED
  const { accounts, vehicles } = seed
  return db.transaction().execute(async (trx) => {
    // Checked again inside: another process may have seeded meanwhile.
    if (await hasUsers(trx)) return NOT_SEEDED

    const centers = await trx
      .insertInto('service_centers')
      .values([...seed.serviceCenters])
      .returningAll()
      .execute()
    const users = await trx
      .insertInto('users')
      .values(
        accounts.map((a) => ({
          email: a.email,
          name: a.name,
          role: a.role,
          password_hash: a.passwordHash,
          service_center_id: a.role === 'service' ? (centers[0]?.id ?? null) : null,
        })),
      )
      .returning(['id', 'email'])
      .execute()
    const idByEmail = new Map(users.map((u) => [u.email, u.id]))
    if (vehicles.length > 0) {
      await trx
        .insertInto('vehicles')
        .values(vehicles.map((v) => vehicleRow(v, idByEmail)))
        .execute()
    }
    return {
      seeded: true,
      users: users.length,
      vehicles: vehicles.length,
      serviceCenters: centers.length,
    }
  })
}
