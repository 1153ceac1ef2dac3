import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { IngestionPipeline } from '../../src/ingest/pipeline.js'
import { NUMERIC_FIELDS } from '../../src/schemas/telemetry.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { createTestApp, healthDetails, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

async function countLogs(t: TestApp): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from telemetry_logs`.execute(t.db.db)
  return r.rows[0]!.n
}

describe.each(DB_KINDS)('ingestion on %s', (kind) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(kind)
  })
  afterAll(() => t.close())

  it('stores readings in telemetry_logs in batches, not one insert per reading', async () => {
    const before = t.app.services.writer.stats.batches
    const vins = FLEET_VEHICLES.map((v) => v.vin)
    const n = 2500
    for (let i = 0; i < n; i++) {
      expect(
        t.app.services.pipeline.ingest(makeReading(vins[i % vins.length]!, step('2026-10-01T00:00:00Z', i))),
      ).toBe('accepted')
    }
    await t.app.services.writer.flush()
    await vi.waitFor(async () => expect(await countLogs(t)).toBe(n), { timeout: 10_000 })
    const batches = t.app.services.writer.stats.batches - before
    expect(batches).toBeGreaterThanOrEqual(1)
    expect(batches).toBeLessThanOrEqual(5)
    const row = await t.db.db.selectFrom('telemetry_logs').selectAll().limit(1).executeTakeFirstOrThrow()
    expect(row.ts).toBeInstanceOf(Date)
    // Typed values in NUMERIC_FIELDS' order, not jsonb.
    expect(row.vals).toHaveLength(NUMERIC_FIELDS.length)
    expect(row.vals[NUMERIC_FIELDS.indexOf('battery_temperature')]).toBe(30)
  })

  it('counts and skips invalid readings and unknown vehicles, and keeps going', async () => {
    const vin = FLEET_VEHICLES[0]!.vin
    const before = t.app.services.pipeline.stats
    expect(t.app.services.pipeline.ingest({ vin, timestamp: 'yesterday' })).toBe('invalid')
    expect(
      t.app.services.pipeline.ingest(
        makeReading(vin, '2026-11-02T00:00:00Z', { battery_temperature: Number.NaN }),
      ),
    ).toBe('invalid')
    expect(t.app.services.pipeline.ingest(makeReading('1HGCM82633A004352', '2026-11-02T00:00:00Z'))).toBe(
      'unknown_vehicle',
    )
    expect(t.app.services.pipeline.ingest(makeReading(vin, '2026-11-02T00:15:00Z'))).toBe('accepted')
    const after = t.app.services.pipeline.stats
    expect(after.invalid - before.invalid).toBe(2)
    expect(after.unknownVehicle - before.unknownVehicle).toBe(1)
    expect(t.app.services.pipeline.vehicleState(vin)?.latest?.timestamp).toBe('2026-11-02T00:15:00.000Z')
  })

  it('keeps readings through a failing write, retries, and reports it in health', async () => {
    const vin = FLEET_VEHICLES[1]!.vin
    await t.app.services.writer.flush()
    const before = await countLogs(t)
    await sql`alter table telemetry_logs rename to telemetry_logs_away`.execute(t.db.db)
    for (let i = 0; i < 10; i++)
      t.app.services.pipeline.ingest(makeReading(vin, step('2026-11-03T00:00:00Z', i)))
    await t.app.services.writer.flush()
    const failing = t.app.services.writer.stats
    expect(failing.failedAttempts).toBeGreaterThan(0)
    expect(failing.pending).toBe(10)
    const res = await healthDetails(t.app)
    const health = res.json()
    expect(health.components.telemetry_writer.lastError).toEqual(expect.any(String))
    // The database answers, so 200, but degraded, saying why.
    expect(res.statusCode).toBe(200)
    expect(health).toMatchObject({ status: 'degraded', db: 'up' })
    expect(health.reasons).toEqual([
      expect.stringMatching(/^telemetry_writer: writes failing, 10 readings waiting/),
    ])
    await sql`alter table telemetry_logs_away rename to telemetry_logs`.execute(t.db.db)
    await vi.waitFor(async () => expect(await countLogs(t)).toBe(before + 10), {
      timeout: 15_000,
      interval: 200,
    })
    expect(t.app.services.writer.stats).toMatchObject({ pending: 0, failing: false })
    expect((await healthDetails(t.app)).json()).toMatchObject({
      status: 'ok',
      reasons: [],
    })
  })

  // Last: it stops this app's intake for good.
  it('stores each (vehicle, timestamp) once and analyses readings once, in timestamp order', async () => {
    const { pipeline, writer, episodes } = t.app.services
    const vin = FLEET_VEHICLES[2]!.vin
    const seen: string[] = []
    pipeline.addObserver({ onReading: (state, r) => state.vehicle.vin === vin && seen.push(r.timestamp) })
    const analysedBefore = episodes.stats.analyzed
    const at = (i: number) => step('2026-11-10T00:00:00Z', i)
    expect(pipeline.ingest(makeReading(vin, at(1)))).toBe('accepted')
    expect(pipeline.ingest(makeReading(vin, at(1)))).toBe('duplicate')
    expect(pipeline.ingest(makeReading(vin, at(3)))).toBe('accepted')
    // Older than the newest analysed one: stored, not analysed.
    expect(pipeline.ingest(makeReading(vin, at(2)))).toBe('late')
    expect(pipeline.ingest(makeReading(vin, at(1)))).toBe('late')
    await writer.flush()
    expect(seen).toEqual([at(1), at(3)].map((ts) => new Date(ts).toISOString()))
    expect(episodes.stats.analyzed - analysedBefore).toBe(2)
    expect(pipeline.vehicleState(vin)?.latest?.timestamp).toBe(new Date(at(3)).toISOString())
    const stored = await sql<{ ts: Date; n: number }>`
      select t.ts, count(*)::int as n from telemetry_logs t join vehicles v on v.id = t.vehicle_id
      where v.vin = ${vin} and t.ts >= '2026-11-10' group by t.ts order by t.ts`.execute(t.db.db)
    expect(stored.rows.map((r) => [r.ts.toISOString(), r.n])).toEqual(
      [at(1), at(2), at(3)].map((ts) => [new Date(ts).toISOString(), 1]),
    )
  })

  it('answers a device’s reading after the commit: stored, then duplicate, even for a new pipeline', async () => {
    const { pipeline } = t.app.services
    const vin = FLEET_VEHICLES[3]!.vin
    const reading = makeReading(vin, '2026-11-20T08:00:00Z')
    const first = await pipeline.submit({ ...reading, vin: undefined }, vin)
    expect(first).toEqual({ status: 'stored' })
    const count = await sql<{ n: number }>`select count(*)::int as n from telemetry_logs t join vehicles v
      on v.id = t.vehicle_id where v.vin = ${vin} and t.ts = '2026-11-20T08:00:00Z'`.execute(t.db.db)
    expect(count.rows[0]!.n).toBe(1)
    expect(await pipeline.submit(reading, vin)).toEqual({ status: 'duplicate' })
    expect(await pipeline.submit({ ...reading, timestamp: Date.parse('2026-11-20T09:00:00Z') }, vin)).toEqual(
      {
        status: 'stored',
      },
    )
    expect(await pipeline.submit({ ...reading, vin: FLEET_VEHICLES[4]!.vin }, vin)).toMatchObject({
      status: 'rejected',
      code: 'VIN_MISMATCH',
      field: 'vin',
    })
    const ahead = new Date(Date.now() + 10 * 60_000).toISOString()
    expect(await pipeline.submit({ ...reading, timestamp: ahead }, vin)).toMatchObject({
      code: 'TIMESTAMP_IN_FUTURE',
    })
    const { battery_temperature: _, ...missing } = reading
    expect(await pipeline.submit({ ...missing, timestamp: '2026-11-20T10:00:00Z' }, vin)).toMatchObject({
      code: 'MISSING_FIELD',
      field: 'battery_temperature',
    })
    // A restarted service knows what is stored: the old reading is late, and the database skips it.
    const restarted = new IngestionPipeline({
      repos: t.app.services.repos,
      writer: t.app.services.writer,
      bus: t.app.services.bus,
      log: t.app.log,
    })
    await restarted.loadVehicles()
    expect(await restarted.submit(reading, vin)).toEqual({ status: 'duplicate' })
    expect(restarted.stats.late).toBe(1)
  })

  // Last: intake stays stopped for the rest of this app.
  it('leaves a vehicle whose own unit reports to that unit: the replay drives only the others', async () => {
    const { pipeline } = t.app.services
    const [unit, simulated] = [FLEET_VEHICLES[5]!.vin, FLEET_VEHICLES[6]!.vin]
    const sent = new Date(Date.now() - 60_000).toISOString()
    expect(await pipeline.submit(makeReading(unit, sent), unit)).toEqual({ status: 'stored' })
    const before = pipeline.stats.yieldedToUnit
    // A replay on the wall clock, a step after the unit's reading.
    const later = (k: number) => new Date(Date.parse(sent) + k * 1000).toISOString()
    let done = false
    pipeline.start({
      async *streamData() {
        for (let k = 1; k <= 3; k++) {
          yield makeReading(unit, later(k), { battery_temperature: 90 })
          yield makeReading(simulated, later(k))
        }
        done = true
      },
      stop() {},
    })
    await vi.waitFor(() => expect(done).toBe(true))
    expect(pipeline.stats.yieldedToUnit - before).toBe(3)
    expect(pipeline.vehicleState(unit)?.latest?.timestamp).toBe(sent)
    expect(pipeline.vehicleState(simulated)?.latest?.timestamp).toBe(later(3))
  })

  it('takes nothing once intake stopped: readings are refused as draining, health answers 503', async () => {
    const vin = FLEET_VEHICLES[2]!.vin
    expect(t.app.services.accepting).toBe(true)
    t.app.services.stopIntake()
    expect(t.app.services.accepting).toBe(false)
    const written = t.app.services.writer.stats.written + t.app.services.writer.stats.pending
    expect(t.app.services.pipeline.ingest(makeReading(vin, '2026-10-04T00:00:00Z'))).toBe('draining')
    expect(t.app.services.pipeline.stats.refused).toBe(1)
    expect(t.app.services.writer.stats.written + t.app.services.writer.stats.pending).toBe(written)
    const res = await healthDetails(t.app)
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ status: 'degraded', db: 'up', reasons: ['stopping: intake closed'] })
  })
})
