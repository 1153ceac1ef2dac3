import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { NUMERIC_FIELDS } from '../../src/schemas/telemetry.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { createTestApp, healthDetails, type TestApp, testConfig } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading } from '../helpers/readings.js'

interface Expected {
  n: number
  min: number[]
  avg: number[]
  max: number[]
}

/**
 * The aggregates of the raw table, per (vehicle, hour), written independently of the generated
 * rollup SQL: every array element unnested with its position.
 */
async function rawAggregates(t: TestApp): Promise<Map<string, Expected>> {
  const rows = await sql<{
    vehicle_id: string
    bucket: Date
    i: number
    n: number
    mn: number
    av: number
    mx: number
  }>`
    select t.vehicle_id, date_trunc('hour', t.ts, 'UTC') as bucket, u.i::int as i, count(*)::int as n,
      min(u.v) as mn, avg(u.v) as av, max(u.v) as mx
    from telemetry_logs t, unnest(t.vals) with ordinality as u(v, i)
    group by 1, 2, 3`.execute(t.db.db)
  const out = new Map<string, Expected>()
  for (const r of rows.rows) {
    const key = `${r.vehicle_id}|${new Date(r.bucket).toISOString()}`
    const e = out.get(key) ?? { n: r.n, min: [], avg: [], max: [] }
    e.min[r.i - 1] = r.mn
    e.avg[r.i - 1] = r.av
    e.max[r.i - 1] = r.mx
    out.set(key, e)
  }
  return out
}

async function expectRollupsExact(t: TestApp): Promise<number> {
  const expected = await rawAggregates(t)
  const rollups = await t.db.db.selectFrom('telemetry_hourly').selectAll().execute()
  expect(rollups.length).toBe(expected.size)
  for (const r of rollups) {
    const e = expected.get(`${r.vehicle_id}|${r.bucket.toISOString()}`)
    expect(e, `no raw rows for the rollup ${r.bucket.toISOString()}`).toBeDefined()
    expect(r.n).toBe(e!.n)
    expect(r.min_vals).toEqual(e!.min)
    expect(r.max_vals).toEqual(e!.max)
    expect(r.avg_vals).toHaveLength(NUMERIC_FIELDS.length)
    for (const [i, v] of r.avg_vals.entries()) expect(v).toBeCloseTo(e!.avg[i]!, 9)
  }
  return rollups.length
}

const at = (hhmm: string) => `2026-09-01T${hhmm}:00.000Z`
const temp = NUMERIC_FIELDS.indexOf('battery_temperature')

describe.each(DB_KINDS)('hourly telemetry rollups on %s', (kind) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(kind)
  })
  afterAll(() => t.close())

  it('equal the aggregates of the stored rows, duplicates and late readings included', async () => {
    const { pipeline, writer, rollups } = t.app.services
    const [a, b] = [FLEET_VEHICLES[0]!.vin, FLEET_VEHICLES[4]!.vin]
    const ingest = (vin: string, hhmm: string, temperature: number, soc = 0.5) =>
      pipeline.ingest(makeReading(vin, at(hhmm), { battery_temperature: temperature, soc }))
    expect(ingest(a, '10:00', 20, 0.9)).toBe('accepted')
    expect(ingest(a, '10:15', 31, 0.8)).toBe('accepted')
    expect(ingest(a, '10:45', 25, 0.7)).toBe('accepted')
    expect(ingest(a, '11:05', 40)).toBe('accepted')
    expect(ingest(b, '10:30', 18)).toBe('accepted')
    await writer.flush()
    await rollups.flush()
    expect(await expectRollupsExact(t)).toBe(3)
    // A second commit into hours that have rollups: duplicates (not stored, so not counted: one
    // of the newest reading, one of an older one, which the pipeline sees as late), a late
    // reading into the first hour, and a new hour.
    expect(ingest(a, '11:05', 999)).toBe('duplicate')
    expect(ingest(a, '10:15', 999)).toBe('late')
    expect(ingest(a, '12:00', 22)).toBe('accepted')
    expect(ingest(a, '10:30', -5, 0.1)).toBe('late')
    await writer.flush()
    await rollups.flush()
    expect(await expectRollupsExact(t)).toBe(4)
    const first = await t.db.db
      .selectFrom('telemetry_hourly')
      .innerJoin('vehicles', 'vehicles.id', 'telemetry_hourly.vehicle_id')
      .select(['n', 'min_vals', 'avg_vals', 'max_vals'])
      .where('vin', '=', a)
      .where('bucket', '=', new Date(at('10:00')))
      .executeTakeFirstOrThrow()
    expect(first.n).toBe(4)
    expect(first.min_vals[temp]).toBe(-5)
    expect(first.max_vals[temp]).toBe(31)
    expect(first.avg_vals[temp]).toBeCloseTo((20 + 31 + 25 - 5) / 4, 9)
    expect(t.app.services.rollups.stats.lastError).toBeNull()
  })

  it('are idempotent: recomputing every bucket again changes nothing', async () => {
    // Rollups of earlier commits may still be in flight on a loaded machine: let them land first.
    await t.app.services.writer.flush()
    await t.app.services.rollups.idle()
    const before = await t.db.db
      .selectFrom('telemetry_hourly')
      .selectAll()
      .orderBy('bucket')
      .orderBy('vehicle_id')
      .execute()
    await t.app.services.series.recomputeRange(new Date(at('00:00')), new Date('2026-09-02T00:00:00Z'))
    const after = await t.db.db
      .selectFrom('telemetry_hourly')
      .selectAll()
      .orderBy('bucket')
      .orderBy('vehicle_id')
      .execute()
    expect(after.map(({ updated_at: _, ...r }) => r)).toEqual(before.map(({ updated_at: _, ...r }) => r))
  })

  it('are repaired at start when rows were committed but not rolled up (a crash)', async () => {
    const { pipeline, writer, rollups } = t.app.services
    const vin = FLEET_VEHICLES[1]!.vin
    for (const hhmm of ['13:00', '13:30', '14:10', '15:20'])
      pipeline.ingest(makeReading(vin, at(hhmm), { motor_temperature: Number(hhmm.slice(0, 2)) }))
    await writer.flush()
    await rollups.flush()
    await expectRollupsExact(t)
    // The crash: the newest two hours' rollups never written, the one before stale.
    await sql`delete from telemetry_hourly where bucket >= ${at('14:00')}::timestamptz`.execute(t.db.db)
    await sql`update telemetry_hourly set n = 1, max_vals = min_vals where bucket = ${at('13:00')}::timestamptz`.execute(
      t.db.db,
    )
    await expect(expectRollupsExact(t)).rejects.toThrow()
    // A restart: a new set of services over the same database.
    const restarted = await buildApp({ config: testConfig(), db: t.db, logger: false })
    try {
      await restarted.ready()
      await restarted.services.rollups.idle()
      expect(restarted.services.rollups.stats.catchUp).toMatchObject({
        state: 'done',
        from: new Date(at('13:00')).toISOString(),
      })
      expect(await expectRollupsExact(t)).toBe(7)
    } finally {
      await restarted.close()
    }
  })

  it('shows the rollups and the maintenance in health', async () => {
    const health = (await healthDetails(t.app)).json()
    expect(health.components.telemetry_rollups).toMatchObject({ pending: 0, lastError: null })
    expect(health.components.telemetry_rollups.recomputedBuckets).toBeGreaterThan(0)
    expect(health.components.telemetry_maintenance).toMatchObject({ retention_days: null, last_error: null })
    expect(health.components.telemetry_maintenance.partitions_ahead).toHaveLength(4)
  })
})
