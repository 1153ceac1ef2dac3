import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceCenter } from '../../src/db/schema.js'
import { localDate } from '../../src/lib/zoned-time.js'
import { DemandForecastSchema } from '../../src/schemas/forecast.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'

const DAY_MS = 86_400_000
const CRITICAL_RUL = {
  rul_days: 0,
  rul_low_days: 0,
  rul_high_days: 0,
  rul_method: 'crossed',
  rul_limit: 45,
} as const

describe('GET /api/service-centers/{id}/forecast on pglite', () => {
  let t: TestApp
  let tokens: Record<'customer' | 'service' | 'manufacturer', string>
  let north: ServiceCenter
  let south: ServiceCenter

  const fn0 = (res: { json(): unknown }) => DemandForecastSchema.parse(res.json())
  const get = (id: string, token?: string) =>
    t.app.inject({
      method: 'GET',
      url: `/api/service-centers/${id}/forecast`,
      headers: token ? bearer(token) : {},
    })

  beforeAll(async () => {
    t = await createTestApp('pglite')
    tokens = {
      customer: await login(t.app, DEMO.customer),
      service: await login(t.app, DEMO.service),
      manufacturer: await login(t.app, DEMO.manufacturer),
    }
    const centers = await t.app.services.repos.serviceCenters.listCenters()
    north = centers.find((c) => c.name.endsWith('North'))!
    south = centers.find((c) => c.name.endsWith('South'))!
  })
  afterAll(() => t?.close())

  it('is for service and manufacturer staff: an owner gets 403, nobody signed in 401', async () => {
    expect((await get(north.id)).statusCode).toBe(401)
    const owner = await get(north.id, tokens.customer)
    expect(owner.statusCode).toBe(403)
    expect(owner.json().error.code).toBe('FORBIDDEN')
    expect((await get(north.id, tokens.service)).statusCode).toBe(200)
    expect((await get(north.id, tokens.manufacturer)).statusCode).toBe(200)
  })

  it('answers 404 SERVICE_CENTER_NOT_FOUND for an unknown centre and 400 for a malformed id', async () => {
    const missing = await get(randomUUID(), tokens.service)
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('SERVICE_CENTER_NOT_FOUND')
    expect((await get('not-a-uuid', tokens.service)).statusCode).toBe(400)
  })

  it("has the dashboard's shape: 14 local days against bays x slots, with thin-history warnings", async () => {
    const res = await get(south.id, tokens.manufacturer)
    const body = DemandForecastSchema.parse(res.json())
    expect(body.center_id).toBe(south.id)
    expect(body.timezone).toBe('Europe/Berlin')
    expect(body.days).toHaveLength(14)
    expect(body.days[0]!.date).toBe(localDate(new Date(), 'Europe/Berlin'))
    // 3 bays, 07:00-19:00 in 90-minute slots.
    expect(body.days.every((d) => d.capacity === 24)).toBe(true)
    for (const d of body.days) {
      expect(Object.keys(d)).toEqual(
        expect.arrayContaining([
          'date',
          'expected',
          'expected_low',
          'expected_high',
          'booked',
          'capacity',
          'overloaded',
        ]),
      )
    }
    expect(body.warnings[0]).toMatch(/^Thin history/)
  })

  it('counts a confirmed booking on its day and an open unbooked episode over both centres', async () => {
    const { repos, bookings } = t.app.services
    const [first, second] = await repos.vehicles.listAll()
    // A confirmed visit at North two days ahead.
    const slot = (
      await t.app.services.scheduling.checkAvailability(north.id, new Date(Date.now() + 2 * DAY_MS))
    )[0]!
    await bookings.book(slot.start, first!.id, { serviceCenterId: north.id, status: 'CONFIRMED' })
    const before = DemandForecastSchema.parse((await get(north.id, tokens.service)).json())
    const day = before.days.find((d) => d.date === localDate(new Date(slot.start), north.timezone))!
    expect(day).toMatchObject({ booked: 1, expected_low: 1 })
    expect(day.expected).toBeGreaterThanOrEqual(1)

    // A critical episode of a vehicle that never booked: due now, split by capacity (20 : 24).
    await repos.anomalies.createAnomalyEvent(
      second!.id,
      'battery_thermal',
      'Critical',
      {},
      { rul: CRITICAL_RUL },
    )
    // It also starts the record of new faults: one a day so far, split over the centres.
    expect(fn0(await get(north.id, tokens.service)).arrivals_per_day).toBeCloseTo(20 / 44, 2)
    const [n, s] = await Promise.all([get(north.id, tokens.service), get(south.id, tokens.service)])
    const fn = DemandForecastSchema.parse(n.json())
    const fs = DemandForecastSchema.parse(s.json())
    expect(fn.open_episodes + fs.open_episodes).toBeCloseTo(1)
    expect(fn.open_episodes).toBeCloseTo(20 / 44, 2)
    // Of the first two days' demand, what is neither booked nor a fault not yet seen.
    const soon = (f: typeof fn) =>
      f.days.slice(0, 2).reduce((a, d) => a + d.expected - d.booked - d.new_faults, 0)
    // Critical: within a day, at the prior booking share (no decided history yet).
    expect(soon(fn) + soon(fs)).toBeCloseTo(fn.booking_share.value, 1)
    // The booked vehicle's own episode adds nothing: its visit is the booking.
    await repos.anomalies.createAnomalyEvent(first!.id, 'brake_wear', 'Medium', {}, { rul: CRITICAL_RUL })
    const again = DemandForecastSchema.parse((await get(north.id, tokens.service)).json())
    expect(again.open_episodes).toBeCloseTo(fn.open_episodes)
  })

  it('learns the booking share from decided episodes: confirmed bookings over resolved or booked ones', async () => {
    const { repos, bookings, db } = t.app.services
    const vehicles = await repos.vehicles.listAll()
    const share = async () =>
      DemandForecastSchema.parse((await get(north.id, tokens.service)).json()).booking_share
    const start = await share()
    // Resolved without a visit (it recovered): decided, not booked.
    const recovered = await repos.anomalies.createAnomalyEvent(vehicles[2]!.id, 'tire_pressure', 'Low', {})
    await db.db
      .updateTable('anomaly_events')
      .set({ status: 'RESOLVED', resolved_at: new Date(), resolution: 'recovered' })
      .where('id', '=', recovered.id)
      .execute()
    // Still open, but its owner confirmed the visit: decided, booked.
    const booked = await repos.anomalies.createAnomalyEvent(vehicles[3]!.id, 'motor_bearing', 'Medium', {})
    const slot = (
      await t.app.services.scheduling.checkAvailability(south.id, new Date(Date.now() + 3 * DAY_MS))
    )[0]!
    await bookings.book(slot.start, vehicles[3]!.id, {
      serviceCenterId: south.id,
      anomalyEventId: booked.id,
      status: 'CONFIRMED',
    })
    // Open with only a pending proposal: not decided yet.
    const pending = await repos.anomalies.createAnomalyEvent(vehicles[4]!.id, 'motor_bearing', 'Medium', {})
    await bookings.book(slot.start, vehicles[4]!.id, {
      serviceCenterId: south.id,
      anomalyEventId: pending.id,
    })
    const after = await share()
    expect(after.episodes - start.episodes).toBe(2)
    expect(after.booked - start.booked).toBe(1)
  })
})
