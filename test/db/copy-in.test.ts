import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyField, type DbHandle } from '../../src/db/client.js'
import { createRepositories } from '../../src/db/repositories/index.js'
import { createTestDatabase, DB_KINDS } from '../helpers/db.js'

describe('copyField', () => {
  it('escapes exactly what COPY text format treats specially', () => {
    expect(copyField('{"a":1}')).toBe('{"a":1}')
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e')
    expect(copyField('')).toBe('')
  })
})

describe.each(DB_KINDS)('copyIn on %s', (kind) => {
  let h: DbHandle
  let vehicleId: string

  beforeAll(async () => {
    h = await createTestDatabase(kind)
    const repos = createRepositories(h.db)
    const owner = await repos.users.createUser({
      email: 'copy@example.com',
      password_hash: 'x',
      role: 'customer',
    })
    const vehicle = await repos.vehicles.createVehicle({
      owner_id: owner.id,
      vin: '1HGCM82633A004399',
      model: 'Test EV',
      year: 2024,
      batch: 'B-2024-07',
    })
    vehicleId = vehicle.id
    // copyIn is generic; this table keeps the JSON round trip the test is about.
    await sql`create table copy_probe (
      vehicle_id uuid not null references vehicles (id), ts timestamptz not null, sensor_data jsonb not null)`.execute(
      h.db,
    )
  })
  afterAll(() => h.close())

  const line = (ts: string, data: unknown) => `${vehicleId}\t${ts}\t${copyField(JSON.stringify(data))}\n`
  const rows = () =>
    h.db
      .selectFrom('copy_probe' as 'telemetry_logs')
      .select(['ts', sql<unknown>`sensor_data`.as('sensor_data')])
      .where('vehicle_id', '=', vehicleId)
      .orderBy('ts')
      .execute()

  it('stores every row of one COPY, JSON with tabs, newlines, backslashes and non-ASCII intact', async () => {
    const tricky = { note: 'tab\there\nnew line \\ back "quoted" – ü 🔋', v: 1.5 }
    await h.copyIn(
      'copy_probe',
      ['vehicle_id', 'ts', 'sensor_data'],
      line('2026-01-01T00:00:00.000Z', tricky) + line('2026-01-01T00:15:00.000Z', { v: 2 }),
    )
    const stored = await rows()
    expect(stored.map((r) => r.sensor_data)).toEqual([tricky, { v: 2 }])
    expect(stored[1]?.ts.toISOString()).toBe('2026-01-01T00:15:00.000Z')
  })

  it('rejects the whole batch on a constraint violation, and the next COPY still works', async () => {
    const before = (await rows()).length
    const orphan = `00000000-0000-4000-8000-000000000000\t2026-01-02T00:00:00.000Z\t{}\n`
    await expect(
      h.copyIn(
        'copy_probe',
        ['vehicle_id', 'ts', 'sensor_data'],
        line('2026-01-02T00:00:00.000Z', {}) + orphan,
      ),
    ).rejects.toThrow(/foreign key/)
    expect((await rows()).length).toBe(before)
    await h.copyIn(
      'copy_probe',
      ['vehicle_id', 'ts', 'sensor_data'],
      line('2026-01-03T00:00:00.000Z', { ok: true }),
    )
    expect((await rows()).length).toBe(before + 1)
  })

  it('refuses table or column names that are not plain identifiers', () => {
    expect(() => h.copyIn('telemetry_logs; drop table users', ['ts'], 'x\n')).toThrow(/identifier/)
    expect(() => h.copyIn('telemetry_logs', ['ts"'], 'x\n')).toThrow(/identifier/)
  })

  it('copyInsertNew stores new rows once and reports which were new', async () => {
    await h.db.executeQuery(sql`select telemetry_ensure_partition('2026-02-01'::date)`.compile(h.db))
    const row = (ts: string, v: number) => `${vehicleId}\t${ts}\t{${v},2}\n`
    const first = await h.copyInsertNew(
      'telemetry_logs',
      ['vehicle_id', 'ts', 'vals'],
      row('2026-02-01T00:00:00.000Z', 1) +
        row('2026-02-01T00:15:00.000Z', 1) +
        row('2026-02-01T00:15:00.000Z', 9),
      ['ts'],
    )
    expect(first.map((r) => new Date(r.ts as Date).toISOString()).sort()).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-02-01T00:15:00.000Z',
    ])
    const again = await h.copyInsertNew(
      'telemetry_logs',
      ['vehicle_id', 'ts', 'vals'],
      row('2026-02-01T00:15:00.000Z', 5) + row('2026-02-01T00:30:00.000Z', 3),
      ['ts'],
    )
    expect(again.map((r) => new Date(r.ts as Date).toISOString())).toEqual(['2026-02-01T00:30:00.000Z'])
    const stored = await h.db
      .selectFrom('telemetry_logs')
      .select(['ts', 'vals'])
      .where('vehicle_id', '=', vehicleId)
      .orderBy('ts')
      .execute()
    // The first copy of a (vehicle, timestamp) is the one kept.
    expect(stored.map((r) => r.vals[0])).toEqual([1, 1, 3])
  })
})
