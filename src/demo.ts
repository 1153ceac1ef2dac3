import { newDeviceToken } from './auth/device-tokens.js'
import { hashPassword } from './auth/passwords.js'
import type { Db } from './db/client.js'
import { createRepositories } from './db/repositories/index.js'
import { type SeedInput, type SeedReport, seedDatabase } from './db/seed.js'
import type { Role } from './domain.js'
import { FLEET_OWNERS, FLEET_VEHICLES } from './simulation/fleet.js'

/**
 * The demo the requirements describe: its accounts, service centres and the bundled fleet. It
 * sits at the top, beside the composition root, because it joins the fleet (simulation), password
 * hashing (auth) and the seed (db), none of which may know the others.
 */

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

/** The demo as seed input, with its passwords hashed. */
export async function demoSeed(): Promise<SeedInput> {
  const accounts = [...FLEET_OWNERS.map((o) => ({ ...o, role: 'customer' as const })), ...DEMO_STAFF]
  // Hashed before the seed's transaction opens: argon2 is slow on purpose and must not hold locks.
  const hashes = await Promise.all(accounts.map((a) => hashPassword(a.password)))
  return {
    accounts: accounts.map((a, i) => ({
      email: a.email,
      name: a.name,
      role: a.role,
      passwordHash: hashes[i]!,
    })),
    serviceCenters: DEMO_SERVICE_CENTERS,
    vehicles: FLEET_VEHICLES,
  }
}

export interface DemoSeedReport extends SeedReport {
  /**
   * Device tokens issued by this run, in clear: for the vehicles just seeded, and for vehicles of
   * a database seeded before device credentials existed. Empty when every vehicle had one already.
   * The server writes them to `.data/device-tokens.json`; nothing else keeps them.
   */
  deviceTokens: Array<{ vin: string; device_token: string }>
}

/** Seeds the demo into an empty database (see `seedDatabase`), and gives its vehicles device tokens. */
export async function seedDemoData(db: Db): Promise<DemoSeedReport> {
  // Lazily: a restart on a seeded database hashes no password.
  const report = await seedDatabase(db, demoSeed)
  const { devices } = createRepositories(db)
  const deviceTokens: DemoSeedReport['deviceTokens'] = []
  for (const vehicle of await devices.listActiveWithoutCredential()) {
    const { token, hash } = newDeviceToken()
    await devices.setCredential(vehicle.id, hash)
    deviceTokens.push({ vin: vehicle.vin, device_token: token })
  }
  return { ...report, deviceTokens }
}
