import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DbHandle } from '../../src/db/client.js'
import { createRepositories, type Repositories } from '../../src/db/repositories/index.js'
import { createTestDatabase, DB_KINDS } from '../helpers/db.js'

describe.each(DB_KINDS)('telemetry repository on %s', (kind) => {
  let h: DbHandle
  let repos: Repositories
  const ids: string[] = []

  beforeAll(async () => {
    h = await createTestDatabase(kind)
    repos = createRepositories(h.db)
    const owner = await repos.users.createUser({
      email: 'ts@example.com',
      password_hash: 'x',
      role: 'customer',
    })
    for (const vin of ['1HGCM82633A004301', '1HGCM82633A004302', '1HGCM82633A004303']) {
      const v = await repos.vehicles.createVehicle({
        owner_id: owner.id,
        vin,
        model: 'EV',
        year: 2024,
        batch: null,
      })
      ids.push(v.id)
    }
  })
  afterAll(() => h.close())

  const store = async (vehicleId: string, ts: string) => {
    await sql`select telemetry_ensure_partition(${ts.slice(0, 10)}::date)`.execute(h.db)
    await h.copyIn('telemetry_logs', ['vehicle_id', 'ts', 'vals'], `${vehicleId}\t${ts}\t{1}\n`)
  }

  // The newest stored time of some vehicles, or of all of them: where a replay resumes.
  const newest = async (vins?: string[]) => (await repos.telemetry.resumePoint(vins))?.after ?? null

  it('is null with nothing stored, then the newest reading of any vehicle', async () => {
    expect(await newest()).toBeNull()
    await store(ids[0]!, '2026-10-01T00:15:00.000Z')
    await store(ids[1]!, '2026-10-01T03:45:00.000Z')
    await store(ids[1]!, '2026-10-01T01:00:00.000Z')
    await store(ids[0]!, '2026-10-01T02:00:00.000Z')
    expect((await newest())?.toISOString()).toBe('2026-10-01T03:45:00.000Z')
  })

  it('asked for some vehicles, ignores the others (a replay resumes after its own vehicles only)', async () => {
    expect((await newest(['1HGCM82633A004301']))?.toISOString()).toBe('2026-10-01T02:00:00.000Z')
    expect(await newest([])).toBeNull()
    expect(await newest(['WVWZZZ00000000000'])).toBeNull()
  })

  it('says where a replay resumes: the newest time of its vehicles and which of them have it', async () => {
    const vins = ['1HGCM82633A004301', '1HGCM82633A004302', '1HGCM82633A004303']
    // A stop inside the 03:45 step: the first vehicle got it as well, the third has nothing at all.
    await store(ids[0]!, '2026-10-01T03:45:00.000Z')
    const point = await repos.telemetry.resumePoint(vins)
    expect(point?.after.toISOString()).toBe('2026-10-01T03:45:00.000Z')
    expect([...point!.stored].sort()).toEqual(vins.slice(0, 2))
    expect(await repos.telemetry.resumePoint(['1HGCM82633A004303'])).toBeNull()
    expect(await repos.telemetry.resumePoint([])).toBeNull()
  })

  it('keeps the runs of a live replay per file and finds the one covering a stamp', async () => {
    const ledger = repos.replaySegments.ledger('data/a.csv')
    const other = repos.replaySegments.ledger('data/b.csv')
    const first = { firstStep: 0, startedAt: new Date('2026-12-04T10:00:00.000Z'), paceMs: 2000 }
    const second = { firstStep: 1800, startedAt: new Date('2026-12-04T12:00:00.000Z'), paceMs: 0.5 }
    await ledger.begin(first)
    await ledger.begin(second)
    await ledger.begin(second) // a retried insert is harmless
    expect(await ledger.segmentAt(new Date('2026-12-04T09:59:59.999Z'))).toBeNull()
    expect(await ledger.segmentAt(new Date('2026-12-04T11:00:00.000Z'))).toEqual(first)
    expect(await ledger.segmentAt(new Date('2026-12-04T12:00:00.000Z'))).toEqual(second)
    expect(await other.segmentAt(new Date('2026-12-04T12:00:00.000Z'))).toBeNull()
  })
})
