import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DbHandle } from '../../src/db/client.js'
import { type SeedInput, seedDatabase } from '../../src/db/seed.js'
import { createTestDatabase, DB_KINDS } from '../helpers/db.js'

const INPUT: SeedInput = {
  accounts: [{ email: 'owner@example.com', name: 'Owner', role: 'customer', passwordHash: 'x' }],
  serviceCenters: [
    {
      name: 'Hub',
      city: 'Berlin',
      bays: 1,
      opening_hour: 8,
      closing_hour: 18,
      slot_minutes: 60,
      timezone: 'Europe/Berlin',
    },
  ],
  vehicles: [
    {
      vin: '1HGCM82633A004352',
      ownerEmail: 'owner@example.com',
      model: 'Test EV',
      year: 2025,
      vehicleType: 'EV',
      batch: 'B-2025-01',
    },
  ],
}

describe.each(DB_KINDS)('the seed on %s', (kind) => {
  let h: DbHandle
  beforeAll(async () => {
    h = await createTestDatabase(kind)
  })
  afterAll(() => h.close())

  it('builds its input (the password hashes) only for an empty database', async () => {
    let built = 0
    const input = async () => {
      built++
      return INPUT
    }
    expect(await seedDatabase(h.db, input)).toEqual({
      seeded: true,
      users: 1,
      vehicles: 1,
      serviceCenters: 1,
    })
    // A restart: the database has users, so nothing is built and nothing is added.
    expect(await seedDatabase(h.db, input)).toEqual({
      seeded: false,
      users: 0,
      vehicles: 0,
      serviceCenters: 0,
    })
    expect(await seedDatabase(h.db, INPUT)).toMatchObject({ seeded: false })
    expect(built).toBe(1)
    const users = await h.db.selectFrom('users').select('email').execute()
    expect(users).toEqual([{ email: 'owner@example.com' }])
  })
})
