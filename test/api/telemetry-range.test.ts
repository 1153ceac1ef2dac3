import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NUMERIC_FIELDS } from '../../src/schemas/telemetry.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, healthDetails, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

const OWN = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!.vin
const OTHER = FLEET_VEHICLES.find((v) => v.ownerEmail !== DEMO.customer.email)!.vin
const START = '2026-09-01T00:00:00.000Z'
/** Two days at 15 minutes: 192 readings with values that differ per reading. */
const READINGS = Array.from({ length: 192 }, (_, i) =>
  makeReading(OWN, step(START, i), { battery_temperature: 20 + (i % 17), soc: 0.2 + (i % 7) / 10 }),
)
const temp = NUMERIC_FIELDS.indexOf('battery_temperature')

describe.each(DB_KINDS)('telemetry range API on %s', (kind) => {
  let t: TestApp
  let customer: string
  let service: string
  const get = (url: string, token = customer) => t.app.inject({ method: 'GET', url, headers: bearer(token) })
  const url = (query: string, vin = OWN) => `/api/vehicles/${vin}/telemetry?${query}`

  beforeAll(async () => {
    t = await createTestApp(kind, { TELEMETRY_RETENTION_DAYS: '3650' })
    customer = await login(t.app, DEMO.customer)
    service = await login(t.app, DEMO.service)
    for (const r of READINGS) expect(t.app.services.pipeline.ingest(r)).toBe('accepted')
    await t.app.services.writer.flush()
    await t.app.services.rollups.flush()
  })
  afterAll(() => t.close())

  it('returns stored readings oldest first for a short range (raw by default)', async () => {
    const res = await get(url(`from=${START}&to=2026-09-01T06:00:00Z`))
    expect(res.statusCode).toBe(200)
    expect(res.headers['x-next-from']).toBeUndefined()
    expect(res.json()).toEqual(READINGS.slice(0, 24))
  })

  it('pages raw readings with limit and the x-next-from header', async () => {
    const first = await get(url(`from=${START}&to=2026-09-03T00:00:00Z&bucket=raw&limit=10`))
    expect(first.json()).toEqual(READINGS.slice(0, 10))
    const next = String(first.headers['x-next-from'])
    expect(next).toBe(new Date(Date.parse(READINGS[9]!.timestamp) + 1).toISOString())
    const second = await get(url(`from=${next}&to=2026-09-03T00:00:00Z&bucket=raw&limit=10`))
    expect(second.json()).toEqual(READINGS.slice(10, 20))
  })

  it('returns hourly buckets from the rollups, the hour holding `from` included', async () => {
    const res = await get(url(`from=2026-09-01T00:30:00Z&to=2026-09-02T00:00:00Z&bucket=1h`))
    expect(res.statusCode).toBe(200)
    const buckets = res.json()
    expect(buckets).toHaveLength(24)
    expect(buckets[0].timestamp).toBe(START)
    const hour = READINGS.slice(4, 8).map((r) => r.battery_temperature!)
    expect(buckets[1]).toMatchObject({
      timestamp: '2026-09-01T01:00:00.000Z',
      count: 4,
      min: { battery_temperature: Math.min(...hour) },
      max: { battery_temperature: Math.max(...hour) },
    })
    expect(buckets[1].avg.battery_temperature).toBeCloseTo(hour.reduce((a, b) => a + b) / 4, 9)
    expect(Object.keys(buckets[1].avg)).toEqual([...NUMERIC_FIELDS])
    // Two days without a bucket: hourly.
    expect((await get(url(`from=${START}&to=2026-09-03T00:00:00Z`))).json()).toHaveLength(48)
  })

  it('returns daily buckets that equal the aggregates of the raw rows', async () => {
    const res = await get(url(`from=${START}&to=2026-09-03T00:00:00Z&bucket=1d`))
    const days = res.json()
    expect(days.map((d: { timestamp: string; count: number }) => [d.timestamp, d.count])).toEqual([
      [START, 96],
      ['2026-09-02T00:00:00.000Z', 96],
    ])
    const raw = await sql<{ mn: number; av: number; mx: number }>`
      select min(vals[${temp + 1}]) as mn, avg(vals[${temp + 1}]) as av, max(vals[${temp + 1}]) as mx
      from telemetry_logs t join vehicles v on v.id = t.vehicle_id
      where v.vin = ${OWN} and ts >= '2026-09-02T00:00:00Z' and ts < '2026-09-03T00:00:00Z'`.execute(t.db.db)
    const { mn, av, mx } = raw.rows[0]!
    expect(days[1].min.battery_temperature).toBe(mn)
    expect(days[1].max.battery_temperature).toBe(mx)
    expect(days[1].avg.battery_temperature).toBeCloseTo(av, 9)
    // Over 31 days without a bucket: daily.
    expect((await get(url('from=2026-08-01T00:00:00Z&to=2026-10-01T00:00:00Z'))).json()).toHaveLength(2)
  })

  it('answers 404 for another owner’s vehicle, as for a missing one; staff see it', async () => {
    const range = `from=${START}&to=2026-09-02T00:00:00Z`
    const res = await get(url(range, OTHER))
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('VEHICLE_NOT_FOUND')
    expect((await get(url(range, OTHER), service)).statusCode).toBe(200)
    expect((await get(url(range), service)).json()).toHaveLength(96)
  })

  it.each([
    ['from=yesterday', 'querystring.from'],
    ['from=2026-09-02T00:00:00Z&to=2026-09-01T00:00:00Z', 'querystring.to'],
    ['from=2026-09-01T00:00:00Z&to=2026-09-01T00:00:00Z', 'querystring.to'],
    ['from=2025-01-01T00:00:00Z&to=2026-09-01T00:00:00Z', 'querystring.to'],
    [`from=${START}&bucket=5m`, 'querystring.bucket'],
    ['to=2026-09-01T00:00:00Z', 'querystring.from'],
    ['bucket=1h', 'querystring.from'],
    ['limit=5000', 'querystring.limit'],
    [`from=${START}&limit=20000`, 'querystring.limit'],
  ])('refuses %s with 400', async (query, field) => {
    const res = await get(url(query))
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('VALIDATION_FAILED')
    expect(res.json().error.details.fields.map((f: { field: string }) => f.field)).toContain(field)
  })

  it('keeps the recent readings from memory without a range', async () => {
    const res = await get(url('limit=5'))
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual(READINGS.slice(-5))
  })

  it('shows the last retention run in health', async () => {
    const health = (await healthDetails(t.app)).json()
    expect(health.components.telemetry_maintenance.retention_days).toBe(3650)
    expect(health.components.telemetry_maintenance.last_retention).toMatchObject({ dropped: [], error: null })
  })
})
