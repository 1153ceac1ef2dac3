import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SchedulingAgent } from '../../src/agents/workers/scheduling-agent.js'
import type { DbHandle } from '../../src/db/client.js'
import { isForeignKeyViolation } from '../../src/db/errors.js'
import { bookingsRepository } from '../../src/db/repositories/bookings.js'
import { createRepositories, type Repositories } from '../../src/db/repositories/index.js'
import type { ServiceCenter } from '../../src/db/schema.js'
import { DEMO_SERVICE_CENTERS } from '../../src/demo.js'
import { AppError } from '../../src/errors.js'
import { InProcessEventBus } from '../../src/ingest/event-bus.js'
import { zonedTimeToUtc } from '../../src/lib/zoned-time.js'
import { BookingService } from '../../src/services/booking.service.js'
import { createTestDatabase, DB_KINDS } from '../helpers/db.js'

// A Monday in winter: Europe/Berlin is UTC+1, so 08:00 local is 07:00Z.
const NOW = new Date('2030-01-07T00:00:00Z')

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('zonedTimeToUtc', () => {
  it('converts wall time with the offset in force on that day', () => {
    const at = (y: number, m: number, d: number, minute: number) =>
      zonedTimeToUtc({ year: y, month: m, day: d }, minute, 'Europe/Berlin')?.toISOString()
    expect(at(2030, 1, 7, 8 * 60)).toBe('2030-01-07T07:00:00.000Z')
    expect(at(2030, 7, 1, 8 * 60)).toBe('2030-07-01T06:00:00.000Z')
    // Spring forward: 02:30 does not exist; autumn: 02:30 happens twice and the first counts.
    expect(at(2030, 3, 31, 150)).toBeUndefined()
    expect(at(2030, 3, 31, 180)).toBe('2030-03-31T01:00:00.000Z')
    expect(at(2030, 10, 27, 150)).toBe('2030-10-27T00:30:00.000Z')
    expect(zonedTimeToUtc({ year: 2030, month: 1, day: 7 }, 9 * 60, 'America/New_York')?.toISOString()).toBe(
      '2030-01-07T14:00:00.000Z',
    )
  })
})

describe.each(DB_KINDS)('SchedulingAgent on %s', (kind) => {
  let handle: DbHandle
  let repos: Repositories
  let bookings: BookingService
  let agent: SchedulingAgent
  let north: ServiceCenter
  let south: ServiceCenter
  let userId: string
  let vehicleId: string
  let otherVehicleId: string

  beforeAll(async () => {
    handle = await createTestDatabase(kind)
    const db = handle.db
    const centers = await db
      .insertInto('service_centers')
      .values([...DEMO_SERVICE_CENTERS])
      .returningAll()
      .execute()
    north = centers.find((c) => c.name.endsWith('North'))!
    south = centers.find((c) => c.name.endsWith('South'))!
    const user = await db
      .insertInto('users')
      .values({ email: 'owner@test.com', password_hash: 'x', role: 'customer' })
      .returning('id')
      .executeTakeFirstOrThrow()
    userId = user.id
    const vehicles = await db
      .insertInto('vehicles')
      .values([
        { owner_id: userId, vin: 'ZZZBKTEST00000001', model: 'Test EV' },
        { owner_id: userId, vin: 'ZZZBKTEST00000002', model: 'Test EV' },
      ])
      .returning('id')
      .execute()
    vehicleId = vehicles[0]!.id
    otherVehicleId = vehicles[1]!.id
    repos = createRepositories(db)
    bookings = new BookingService({
      repos,
      bus: new InProcessEventBus(),
      log: { error() {} },
      now: () => NOW,
      // These tests fill whole slots with one vehicle; the cap has its own test (booking-limits).
      limits: { maxOpenPerVehicle: 1000, horizonDays: 90 },
    })
    agent = new SchedulingAgent(repos, bookings, { now: () => NOW })
  })
  afterAll(() => handle.close())

  it('lists slots from opening to the last full slot in the centre time zone', async () => {
    const slots = await agent.checkAvailability(north.id, NOW, { days: 1 })
    expect(slots).toHaveLength(10)
    expect(slots[0]).toEqual({
      service_center_id: north.id,
      service_center_name: north.name,
      timezone: north.timezone,
      start: '2030-01-07T07:00:00.000Z',
      end: '2030-01-07T08:00:00.000Z',
      free_bays: 2,
    })
    expect(slots.at(-1)?.start).toBe('2030-01-07T16:00:00.000Z')

    // 90-minute slots from 07:00 to 19:00 local: the last one starts at 17:30.
    const southSlots = await agent.checkAvailability(south.id, NOW, { days: 1 })
    expect(southSlots.map((s) => s.start)).toEqual(
      ['06:00', '07:30', '09:00', '10:30', '12:00', '13:30', '15:00', '16:30'].map(
        (t) => `2030-01-07T${t}:00.000Z`,
      ),
    )
    expect(southSlots.every((s) => s.free_bays === 3)).toBe(true)
    expect(southSlots[0]?.end).toBe('2030-01-07T07:30:00.000Z')
  })

  it('merges all centres sorted by start, then centre name, and honours the limit', async () => {
    const slots = await agent.checkAvailability(undefined, NOW, { days: 1 })
    expect(slots).toHaveLength(18)
    const keys = slots.map((s) => `${s.start}|${s.service_center_name}`)
    expect(keys).toEqual([...keys].sort())
    expect(slots[0]?.service_center_id).toBe(south.id)
    expect(await agent.checkAvailability(undefined, NOW, { days: 1, limit: 3 })).toEqual(slots.slice(0, 3))
  })

  it('follows daylight saving time', async () => {
    const spring = await agent.checkAvailability(north.id, '2030-03-30T00:00:00Z', { days: 2 })
    const day = (d: string) => spring.filter((s) => s.start.startsWith(d)).map((s) => s.start)
    expect(day('2030-03-30')).toHaveLength(10)
    expect(day('2030-03-30')[0]).toBe('2030-03-30T07:00:00.000Z')
    // Clocks went forward overnight: 08:00 local is now 06:00Z, and a slot still lasts an hour.
    expect(day('2030-03-31')).toHaveLength(10)
    expect(day('2030-03-31')[0]).toBe('2030-03-31T06:00:00.000Z')
    expect(day('2030-03-31').at(-1)).toBe('2030-03-31T15:00:00.000Z')
    const summer = await agent.checkAvailability(north.id, '2030-07-01T00:00:00Z', { days: 1 })
    expect(summer[0]?.start).toBe('2030-07-01T06:00:00.000Z')
  })

  it('skips slots before now plus the lead time, and clamps days to 31', async () => {
    const late = new SchedulingAgent(repos, bookings, { now: () => new Date('2030-01-07T07:30:00Z') })
    const slots = await late.checkAvailability(north.id, undefined, { days: 1 })
    expect(slots[0]?.start).toBe('2030-01-07T09:00:00.000Z')
    const past = await agent.checkAvailability(north.id, '2029-01-01T00:00:00Z', { days: 1 })
    expect(past).toEqual([])
    const month = await agent.checkAvailability(north.id, '2031-06-01T00:00:00Z', { days: 400 })
    expect(month).toHaveLength(31 * 10)
  })

  it('subtracts live bookings from the free bays, but not cancelled ones', async () => {
    const at = '2030-01-08T09:00:00.000Z'
    const freeAt = async () =>
      (await agent.checkAvailability(north.id, NOW, { days: 3 })).find((s) => s.start === at)?.free_bays
    expect(await freeAt()).toBe(2)
    const first = await agent.bookAppointment(at, vehicleId, { serviceCenterId: north.id })
    expect(first.booking.bay).toBe(1)
    expect(await freeAt()).toBe(1)
    const second = await agent.bookAppointment(at, otherVehicleId, { serviceCenterId: north.id })
    expect(second.booking.bay).toBe(2)
    expect(await freeAt()).toBeUndefined()
    await bookingsRepository(handle.db).transitionBooking(first.booking.id, 'PENDING', 'CANCELLED')
    expect(await freeAt()).toBe(1)
    const again = await agent.bookAppointment(at, vehicleId, { serviceCenterId: north.id })
    expect(again.booking.bay).toBe(1)
  })

  it('refuses past, too-soon, off-grid and out-of-hours slots with SLOT_UNAVAILABLE', async () => {
    const refuse = async (slot: string, centerId: string | undefined, reason: RegExp) => {
      const err = await rejection(agent.bookAppointment(slot, vehicleId, { serviceCenterId: centerId }))
      expect(err.code).toBe('SLOT_UNAVAILABLE')
      expect(err.statusCode).toBe(400)
      expect(err.message).toMatch(reason)
    }
    await refuse('2029-12-31T09:00:00Z', north.id, /in the past/)
    await refuse('2030-01-07T00:30:00Z', north.id, /too soon/)
    await refuse('2030-01-08T07:30:00Z', north.id, /not a slot start.*every 60 minutes/)
    await refuse('2030-01-08T07:00:05Z', north.id, /not a slot start/)
    await refuse('2030-01-08T06:00:00Z', north.id, /07:00 Europe\/Berlin is outside the opening hours/)
    // 18:00 local is closing time, so no slot starts then.
    await refuse('2030-01-08T17:00:00Z', north.id, /outside the opening hours/)
    await refuse('2030-01-08T03:00:00Z', undefined, /No service centre has a slot/)
    await refuse('not a date', north.id, /not a valid date/)
  })

  it('answers an unknown centre with SERVICE_CENTER_NOT_FOUND and an unknown vehicle with an FK error', async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    expect((await rejection(agent.checkAvailability(missing))).code).toBe('SERVICE_CENTER_NOT_FOUND')
    const err = await agent
      .bookAppointment('2030-01-08T10:00:00Z', missing, { serviceCenterId: north.id })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(isForeignKeyViolation(err)).toBe(true)
  })

  it('gives the last free bay to exactly one of twenty concurrent requests', async () => {
    const at = '2030-01-09T09:00:00.000Z'
    await agent.bookAppointment(at, vehicleId, { serviceCenterId: north.id })
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        agent.bookAppointment(at, i % 2 ? vehicleId : otherVehicleId, { serviceCenterId: north.id }),
      ),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(19)
    // The other vehicle's losers find the slot full; the first vehicle's may instead be told it
    // already holds that slot (one live booking per vehicle per slot), whichever check sees it first.
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return
      expect(r.reason).toBeInstanceOf(AppError)
      const code = (r.reason as AppError).code
      if (i % 2) expect(['SLOT_TAKEN', 'VEHICLE_ALREADY_BOOKED']).toContain(code)
      else expect(code).toBe('SLOT_TAKEN')
    })
    const live = await handle.db
      .selectFrom('service_bookings')
      .select('bay')
      .where('service_center_id', '=', north.id)
      .where('appointment_time', '=', new Date(at))
      .where('status', '<>', 'CANCELLED')
      .orderBy('bay')
      .execute()
    expect(live.map((r) => r.bay)).toEqual([1, 2])
  })

  it('uses the next centre by name when the first is full and no centre is given', async () => {
    // 10:00 local is on both grids (North hourly from 08:00, South every 90 minutes from 07:00).
    const at = '2030-01-10T09:00:00.000Z'
    const third = await handle.db
      .insertInto('vehicles')
      .values({ owner_id: userId, vin: 'ZZZBKTEST00000003', model: 'Test EV' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const a = await agent.bookAppointment(at, vehicleId)
    const b = await agent.bookAppointment(at, otherVehicleId)
    const c = await agent.bookAppointment(at, third.id)
    expect([a, b, c].map((r) => r.booking.service_center_id)).toEqual([north.id, north.id, south.id])
    expect(c.booking.bay).toBe(1)
    // 08:00 local is only on North's grid: once North is full there, the slot is taken.
    const only = '2030-01-10T07:00:00.000Z'
    await agent.bookAppointment(only, vehicleId)
    await agent.bookAppointment(only, otherVehicleId)
    expect((await rejection(agent.bookAppointment(only, third.id))).code).toBe('SLOT_TAKEN')
  })

  it('replays a booking with the same creator and idempotency key, also under a race', async () => {
    const options = { serviceCenterId: south.id, createdBy: userId, idempotencyKey: 'key-1', notes: 'hello' }
    const first = await agent.bookAppointment('2030-01-11T06:00:00Z', vehicleId, options)
    expect(first.replayed).toBe(false)
    expect(first.booking).toMatchObject({ customer_notes: 'hello', created_by: userId, status: 'PENDING' })
    const again = await agent.bookAppointment('2030-01-11T06:00:00Z', vehicleId, options)
    expect(again).toEqual({ booking: first.booking, replayed: true })
    // The key names one request: reusing it for another slot is a client bug, not a replay.
    expect((await rejection(agent.bookAppointment('2030-01-11T07:30:00Z', vehicleId, options))).code).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    )

    const raced = await Promise.all(
      Array.from({ length: 6 }, () =>
        agent.bookAppointment('2030-01-11T09:00:00Z', vehicleId, { ...options, idempotencyKey: 'key-2' }),
      ),
    )
    expect(new Set(raced.map((r) => r.booking.id)).size).toBe(1)
    expect(raced.filter((r) => !r.replayed)).toHaveLength(1)
    const rows = await handle.db
      .selectFrom('service_bookings')
      .select('id')
      .where('idempotency_key', '=', 'key-2')
      .execute()
    expect(rows).toHaveLength(1)
  })

  it('records source, status, notes and the anomaly event', async () => {
    const event = await handle.db
      .insertInto('anomaly_events')
      .values({ vehicle_id: vehicleId, anomaly_type: 'battery_thermal', severity: 'High' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const { booking } = await agent.bookAppointment('2030-01-12T12:00:00Z', vehicleId, {
      source: 'agent',
      status: 'CONFIRMED',
      anomalyEventId: event.id,
      notes: null,
    })
    // 13:00 local is on both grids; without a centre the first by name gets it.
    expect(booking).toMatchObject({
      service_center_id: north.id,
      source: 'agent',
      status: 'CONFIRMED',
      anomaly_event_id: event.id,
      customer_notes: null,
    })
    expect(booking.appointment_time.toISOString()).toBe('2030-01-12T12:00:00.000Z')
  })
})
