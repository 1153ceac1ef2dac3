import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DbHandle } from '../../src/db/client.js'
import { createRepositories } from '../../src/db/repositories/index.js'
import { type TelemetryStorage, telemetryStorage } from '../../src/db/telemetry-storage.js'
import { TelemetryMaintenance } from '../../src/ingest/telemetry-maintenance.js'
import { createTestDatabase, DB_KINDS } from '../helpers/db.js'

const NOW = new Date('2027-03-15T10:00:00Z')
const vals = Array.from({ length: 29 }, (_, i) => i)

async function partitionNames(h: DbHandle): Promise<string[]> {
  const r = await sql<{ name: string }>`select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid where i.inhparent = 'telemetry_logs'::regclass order by 1`.execute(
    h.db,
  )
  return r.rows.map((x) => x.name)
}

async function storedDays(h: DbHandle): Promise<string[]> {
  const r = await sql<{ day: string }>`select distinct to_char(ts at time zone 'UTC', 'YYYY-MM-DD') as day
    from telemetry_logs order by 1`.execute(h.db)
  return r.rows.map((x) => x.day)
}

describe.each(DB_KINDS)('telemetry retention on %s', (kind) => {
  let h: DbHandle
  let storage: TelemetryStorage
  let vehicleId: string
  // Rows at 00:00, 12:00 and 23:59 of each day; 03-08 straddles the cutoff (03-08 10:00).
  const days = ['2027-03-01', '2027-03-07', '2027-03-08', '2027-03-14', '2027-03-15', '2027-03-16']

  beforeAll(async () => {
    h = await createTestDatabase(kind)
    const repos = createRepositories(h.db)
    const owner = await repos.users.createUser({
      email: 'r@example.com',
      password_hash: 'x',
      role: 'customer',
    })
    vehicleId = (
      await repos.vehicles.createVehicle({
        owner_id: owner.id,
        vin: '1HGCM82633A004352',
        model: 'EV',
        year: 2024,
      })
    ).id
    storage = telemetryStorage(h)
    await storage.ensureDays(days)
    for (const day of days)
      for (const time of ['00:00:00', '12:00:00', '23:59:00'])
        await h.db
          .insertInto('telemetry_logs')
          .values({ vehicle_id: vehicleId, ts: `${day}T${time}Z`, vals })
          .execute()
    // A rollup of a day that retention drops: kept.
    await h.db
      .insertInto('telemetry_hourly')
      .values({
        vehicle_id: vehicleId,
        bucket: '2027-03-01T00:00:00Z',
        n: 1,
        min_vals: vals,
        avg_vals: vals,
        max_vals: vals,
      })
      .execute()
  })
  afterAll(() => h.close())

  it('keeps everything without a retention window', async () => {
    const m = new TelemetryMaintenance(storage, { retentionDays: undefined, now: () => NOW })
    await m.run()
    expect(m.stats.last_retention).toBeNull()
    expect(await storedDays(h)).toEqual(days)
  })

  it('drops only the day partitions whose whole range is older than the window', async () => {
    const m = new TelemetryMaintenance(storage, { retentionDays: 7, now: () => NOW })
    await m.run()
    const run = m.stats.last_retention
    expect(run?.cutoff).toBe('2027-03-08T10:00:00.000Z')
    expect(run?.dropped).toEqual(['telemetry_logs_p20270301', 'telemetry_logs_p20270307'])
    expect(run?.error).toBeNull()
    // The straddling day keeps all its rows, including those before the cutoff: whole partitions only.
    expect(await storedDays(h)).toEqual(['2027-03-08', '2027-03-14', '2027-03-15', '2027-03-16'])
    const count = await sql<{ n: number }>`select count(*)::int as n from telemetry_logs`.execute(h.db)
    expect(count.rows[0]!.n).toBe(12)
    const names = await partitionNames(h)
    expect(names).not.toContain('telemetry_logs_p20270301')
    expect(names).not.toContain('telemetry_logs_p20270307')
    // Today and the three days ahead are in place.
    for (const day of ['20270308', '20270314', '20270315', '20270316', '20270317', '20270318'])
      expect(names).toContain(`telemetry_logs_p${day}`)
    expect(m.stats.partitions_ahead).toEqual(['2027-03-15', '2027-03-16', '2027-03-17', '2027-03-18'])
    const rollups = await h.db.selectFrom('telemetry_hourly').select('bucket').execute()
    expect(rollups.map((r) => r.bucket.toISOString())).toEqual(['2027-03-01T00:00:00.000Z'])
  })

  it('drops nothing more on the next run, and a dropped day can be written again', async () => {
    const m = new TelemetryMaintenance(storage, { retentionDays: 7, now: () => NOW })
    await m.run()
    expect(m.stats.last_retention?.dropped).toEqual([])
    // The storage forgot the dropped day, so a late write recreates its partition instead of failing.
    await storage.ensureDays(['2027-03-01'])
    await h.db
      .insertInto('telemetry_logs')
      .values({ vehicle_id: vehicleId, ts: '2027-03-01T06:00:00Z', vals })
      .execute()
    expect(await storedDays(h)).toContain('2027-03-01')
    const later = new TelemetryMaintenance(storage, {
      retentionDays: 7,
      now: () => new Date('2027-03-16T00:00:00Z'),
    })
    await later.run()
    expect(later.stats.last_retention?.dropped).toEqual([
      'telemetry_logs_p20270301',
      'telemetry_logs_p20270308',
    ])
    expect(await storedDays(h)).toEqual(['2027-03-14', '2027-03-15', '2027-03-16'])
  })
})
