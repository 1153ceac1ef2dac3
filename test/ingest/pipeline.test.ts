import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { createTestApp, type TestApp } from '../helpers/app.js'
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
    expect(row.sensor_data).toMatchObject({ vin: expect.any(String), battery_temperature: 30 })
  })

  it('counts and skips invalid readings and unknown vehicles, and keeps going', async () => {
    const vin = FLEET_VEHICLES[0]!.vin
    const before = t.app.services.pipeline.stats
    expect(t.app.services.pipeline.ingest({ vin, timestamp: 'yesterday' })).toBe('invalid')
    expect(
      t.app.services.pipeline.ingest(
        makeReading(vin, '2026-10-02T00:00:00Z', { battery_temperature: Number.NaN }),
      ),
    ).toBe('invalid')
    expect(t.app.services.pipeline.ingest(makeReading('1HGCM82633A004352', '2026-10-02T00:00:00Z'))).toBe(
      'unknown_vehicle',
    )
    expect(t.app.services.pipeline.ingest(makeReading(vin, '2026-10-02T00:15:00Z'))).toBe('accepted')
    const after = t.app.services.pipeline.stats
    expect(after.invalid - before.invalid).toBe(2)
    expect(after.unknownVehicle - before.unknownVehicle).toBe(1)
    expect(t.app.services.pipeline.vehicleState(vin)?.latest?.timestamp).toBe('2026-10-02T00:15:00.000Z')
  })

  it('keeps readings through a failing write, retries, and reports it in health', async () => {
    const vin = FLEET_VEHICLES[1]!.vin
    await t.app.services.writer.flush()
    const before = await countLogs(t)
    await sql`alter table telemetry_logs rename to telemetry_logs_away`.execute(t.db.db)
    for (let i = 0; i < 10; i++)
      t.app.services.pipeline.ingest(makeReading(vin, step('2026-10-03T00:00:00Z', i)))
    await t.app.services.writer.flush()
    const failing = t.app.services.writer.stats
    expect(failing.failedAttempts).toBeGreaterThan(0)
    expect(failing.pending).toBe(10)
    const res = await t.app.inject({ method: 'GET', url: '/api/health' })
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
    expect((await t.app.inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({
      status: 'ok',
      reasons: [],
    })
  })

  // Last: it stops this app's intake for good.
  it('takes nothing once intake stopped: readings are refused as draining, health answers 503', async () => {
    const vin = FLEET_VEHICLES[2]!.vin
    expect(t.app.services.accepting).toBe(true)
    t.app.services.stopIntake()
    expect(t.app.services.accepting).toBe(false)
    const written = t.app.services.writer.stats.written + t.app.services.writer.stats.pending
    expect(t.app.services.pipeline.ingest(makeReading(vin, '2026-10-04T00:00:00Z'))).toBe('draining')
    expect(t.app.services.pipeline.stats.refused).toBe(1)
    expect(t.app.services.writer.stats.written + t.app.services.writer.stats.pending).toBe(written)
    const res = await t.app.inject({ method: 'GET', url: '/api/health' })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ status: 'degraded', db: 'up', reasons: ['stopping: intake closed'] })
  })
})
