import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Vehicle } from '../../src/db/schema.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'

describe('booking limits', () => {
  let t: TestApp
  let customer: string
  let car: Vehicle
  let other: Vehicle
  let northId: string
  let slots: string[]
  let n = 0
  const post = (payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/bookings',
      headers: { ...bearer(customer), ...headers },
      payload,
    })

  beforeAll(async () => {
    t = await createTestApp()
    const repos = t.app.services.repos
    const me = (await repos.users.getUserByEmail(DEMO.customer.email))!
    car = await repos.vehicles.createVehicle({ owner_id: me.id, vin: 'ZZZCAPTEST0000001', model: 'Test EV' })
    other = await repos.vehicles.createVehicle({
      owner_id: me.id,
      vin: 'ZZZCAPTEST0000002',
      model: 'Test EV',
    })
    northId = (await repos.serviceCenters.listCenters()).find((c) => c.name.endsWith('North'))!.id
    const from = new Date(Date.now() + 2 * 3600_000)
    slots = (await t.app.services.scheduling.checkAvailability(northId, from, { days: 14 })).map(
      (s) => s.start,
    )
    customer = await login(t.app, DEMO.customer)
  })
  afterAll(() => t.close())

  const cancel = (id: string) =>
    t.app.inject({
      method: 'PATCH',
      url: `/api/bookings/${id}`,
      headers: bearer(customer),
      payload: { status: 'CANCELLED' },
    })

  it('answers 422 IDEMPOTENCY_KEY_REUSED when a key comes back with a different body', async () => {
    const key = { 'idempotency-key': `key-${n++}` }
    const first = await post({ vehicle_id: car.id, slot_time: slots[0], service_center_id: northId }, key)
    expect(first.statusCode).toBe(201)
    const again = await post({ vehicle_id: car.id, slot_time: slots[0], service_center_id: northId }, key)
    expect(again.statusCode).toBe(201)
    expect(again.json().id).toBe(first.json().id)
    for (const changed of [
      { vehicle_id: car.id, slot_time: slots[1], service_center_id: northId },
      { vehicle_id: other.id, slot_time: slots[0], service_center_id: northId },
      { vehicle_id: car.id, slot_time: slots[0], service_center_id: northId, notes: 'something else' },
    ]) {
      const res = await post(changed, key)
      expect(res.statusCode).toBe(422)
      expect(res.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    }
    await cancel(first.json().id)
  })

  it('gives a vehicle one live booking per slot, even where another bay is free', async () => {
    const slot_time = slots[2]
    const first = await post({ vehicle_id: car.id, slot_time, service_center_id: northId })
    expect(first.statusCode).toBe(201)
    const second = await post({ vehicle_id: car.id, slot_time, service_center_id: northId })
    expect(second.statusCode).toBe(409)
    expect(second.json().error.code).toBe('VEHICLE_ALREADY_BOOKED')
    // Another vehicle takes the second bay; once cancelled, the slot is the vehicle's again.
    expect((await post({ vehicle_id: other.id, slot_time, service_center_id: northId })).statusCode).toBe(201)
    await cancel(first.json().id)
    await cancel(
      (await t.app.services.repos.bookings.getBookings(['PENDING'])).find((b) => b.vehicle_id === other.id)!
        .id,
    )
    expect((await post({ vehicle_id: car.id, slot_time, service_center_id: northId })).statusCode).toBe(201)
  })

  it('caps the open bookings of one vehicle at 3, and frees a place when one is cancelled', async () => {
    const open = await t.app.services.repos.bookings.getBookings(['PENDING', 'CONFIRMED'])
    let held = open.filter((b) => b.vehicle_id === car.id).length
    let next = 3
    const ids: string[] = []
    while (held < 3) {
      const res = await post({ vehicle_id: car.id, slot_time: slots[next++], service_center_id: northId })
      expect(res.statusCode).toBe(201)
      ids.push(res.json().id)
      held++
    }
    const over = await post({ vehicle_id: car.id, slot_time: slots[next], service_center_id: northId })
    expect(over.statusCode).toBe(409)
    expect(over.json().error.code).toBe('TOO_MANY_OPEN_BOOKINGS')
    await cancel(ids[0]!)
    expect(
      (await post({ vehicle_id: car.id, slot_time: slots[next], service_center_id: northId })).statusCode,
    ).toBe(201)
  })

  it('refuses a slot beyond the 90-day horizon', async () => {
    const far = new Date(Date.now() + 120 * 86_400_000)
    far.setUTCHours(9, 0, 0, 0)
    const res = await post({ vehicle_id: other.id, slot_time: far.toISOString() })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({
      code: 'SLOT_UNAVAILABLE',
      message: expect.stringMatching(/90 days/),
    })
  })
})
