import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/auth/passwords.js'
import type { Vehicle } from '../../src/db/schema.js'
import { BOOKING_STATUSES, type BookingStatus, ROLES, type Role } from '../../src/domain.js'
import type { FleetMessage } from '../../src/ingest/messages.js'
import { allowedTransitions, canTransition } from '../../src/schemas/booking-rules.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'

/** The state machine, written out by hand so the test does not just restate the code. */
const LEGAL: Record<Role, string[]> = {
  customer: ['PENDING>CONFIRMED', 'PENDING>CANCELLED', 'CONFIRMED>CANCELLED'],
  service: ['PENDING>CONFIRMED', 'PENDING>CANCELLED', 'CONFIRMED>COMPLETED', 'CONFIRMED>CANCELLED'],
  manufacturer: [],
}
const PAIRS = BOOKING_STATUSES.flatMap((from) => BOOKING_STATUSES.map((to) => [from, to] as const))
const SQLISH = [`' OR 1=1 --`, `"; DROP TABLE users; --`]

describe('booking rules', () => {
  it.each(ROLES.flatMap((role) => PAIRS.map(([from, to]) => [role, from, to] as const)))(
    '%s: %s -> %s',
    (role, from, to) => {
      const legal = LEGAL[role].includes(`${from}>${to}`)
      expect(canTransition(role, from, to)).toBe(legal)
      expect(allowedTransitions(role, from).includes(to)).toBe(legal)
    },
  )
})

describe.each(DB_KINDS)('bookings API on %s', (kind) => {
  let t: TestApp
  const tokens = {} as Record<Role | 'other', string>
  let mine: Vehicle
  let mine2: Vehicle
  let theirs: Vehicle
  let northId: string
  let slots: string[]
  let timeSeq = 0
  const messages: FleetMessage[] = []

  /** A fresh grid slot at the North centre (two bays), one per use. */
  const nextSlot = () => slots.shift()!
  /** A distinct off-grid time for bookings written straight through the repository. */
  const nextTime = () => new Date(Date.UTC(2040, 0, 1, 0, timeSeq++))
  const post = (token: string, payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/bookings', headers: { ...bearer(token), ...headers }, payload })
  const patch = (token: string, id: string, payload: object) =>
    t.app.inject({ method: 'PATCH', url: `/api/bookings/${id}`, headers: bearer(token), payload })
  const list = (token: string, query: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: '/api/bookings', headers: bearer(token), query })
  const direct = (vehicle: Vehicle, status: BookingStatus, anomalyEventId?: string) =>
    t.app.services.repos.bookings.createBooking(vehicle.id, nextTime(), status, {
      serviceCenterId: northId,
      anomalyEventId,
    })

  beforeAll(async () => {
    // These tests book one vehicle many times over; the cap on open bookings has its own test.
    t = await createTestApp(kind, { BOOKING_MAX_OPEN_PER_VEHICLE: '1000' })
    const repos = t.app.services.repos
    const me = (await repos.users.getUserByEmail(DEMO.customer.email))!
    const other = await repos.users.createUser({
      email: 'other-owner@test.com',
      password_hash: await hashPassword('other-pass'),
      role: 'customer',
    })
    mine = await repos.vehicles.createVehicle({ owner_id: me.id, vin: 'ZZZBKTEST00000001', model: 'Test EV' })
    mine2 = await repos.vehicles.createVehicle({
      owner_id: me.id,
      vin: 'ZZZBKTEST00000002',
      model: 'Test Van',
    })
    theirs = await repos.vehicles.createVehicle({
      owner_id: other.id,
      vin: 'ZZZBKTEST00000009',
      model: 'Test EV',
    })
    northId = (await repos.serviceCenters.listCenters()).find((c) => c.name.endsWith('North'))!.id
    // Two hours ahead, so no slot drifts inside the one-hour booking lead time while the tests run.
    const from = new Date(Date.now() + 2 * 3600_000)
    slots = (await t.app.services.scheduling.checkAvailability(northId, from, { days: 14 })).map(
      (s) => s.start,
    )
    tokens.customer = await login(t.app, DEMO.customer)
    tokens.service = await login(t.app, DEMO.service)
    tokens.manufacturer = await login(t.app, DEMO.manufacturer)
    tokens.other = await login(t.app, { email: 'other-owner@test.com', password: 'other-pass' })
    // Bookings' own messages: refusals earlier in the file reach the manufacturer's UEBA stream late.
    t.app.services.bus.subscribe((m) => {
      if (m.type !== 'ueba' && m.type !== 'security') messages.push(m)
    })
  })
  afterAll(() => t?.close())

  it('lets each route be called only by its roles', async () => {
    const anon = (method: 'GET' | 'POST' | 'PATCH', url: string) =>
      t.app.inject({ method, url, payload: method === 'GET' ? undefined : {} })
    expect((await anon('GET', '/api/bookings')).statusCode).toBe(401)
    expect((await anon('POST', '/api/bookings')).statusCode).toBe(401)
    expect((await anon('PATCH', `/api/bookings/${randomUUID()}`)).statusCode).toBe(401)

    expect((await list(tokens.customer)).statusCode).toBe(200)
    expect((await list(tokens.service)).statusCode).toBe(200)
    expect((await list(tokens.manufacturer)).statusCode).toBe(403)

    const body = { vehicle_id: mine.id, slot_time: nextSlot() }
    expect((await post(tokens.service, body)).statusCode).toBe(403)
    expect((await post(tokens.manufacturer, body)).statusCode).toBe(403)
    const created = await post(tokens.customer, body)
    expect(created.statusCode).toBe(201)

    const id = created.json().booking_id
    expect((await patch(tokens.manufacturer, id, { status: 'CONFIRMED' })).statusCode).toBe(403)
    expect((await patch(tokens.customer, id, { status: 'CONFIRMED' })).statusCode).toBe(200)
    expect((await patch(tokens.service, id, { status: 'COMPLETED' })).statusCode).toBe(200)
  })

  it('creates a booking from a VIN and answers with the full DTO, then publishes it', async () => {
    const slot = nextSlot()
    messages.length = 0
    const res = await post(tokens.customer, {
      vin: mine2.vin.toLowerCase(),
      slot_time: slot,
      notes: ' soon ',
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({
      vehicle_id: mine2.id,
      vin: mine2.vin,
      vehicle_model: 'Test Van',
      owner_id: mine2.owner_id,
      service_center_id: northId,
      service_center_name: 'Autonoma Service Hub North',
      appointment_time: slot,
      bay: 1,
      status: 'PENDING',
      customer_notes: 'soon',
      source: 'customer',
      anomaly_event_id: null,
      allowed_transitions: ['CONFIRMED', 'CANCELLED'],
    })
    expect(body.booking_id).toBe(body.id)
    expect(res.headers['idempotent-replayed']).toBeUndefined()
    const { booking_id: _, ...dto } = body
    expect(messages).toEqual([
      {
        type: 'booking',
        data: { ...dto, allowed_transitions: [] },
        vin: mine2.vin,
        ownerId: mine2.owner_id,
        roles: ['service'],
      },
    ])
  })

  it('lists a customer only their own bookings, staff all, with filters and ordering', async () => {
    const a = await direct(mine, 'PENDING')
    const b = await direct(theirs, 'CONFIRMED')
    const c = await direct(mine2, 'CANCELLED')
    const ids = (res: { json(): Array<{ id: string }> }) => res.json().map((r) => r.id)

    const own = await list(tokens.customer, { limit: '500' })
    expect(ids(own)).toContain(a.id)
    expect(ids(own)).not.toContain(b.id)
    expect(own.json().every((r: { owner_id: string }) => r.owner_id === mine.owner_id)).toBe(true)
    expect((await list(tokens.customer, { vehicle_id: theirs.id })).json()).toEqual([])

    const all = await list(tokens.service, { limit: '500' })
    expect(ids(all)).toEqual(expect.arrayContaining([a.id, b.id, c.id]))
    const times = all.json().map((r: { appointment_time: string }) => r.appointment_time)
    expect(times).toEqual([...times].sort())

    const open = await list(tokens.service, { status: 'pending, CONFIRMED', from: '2040-01-01T00:00:00Z' })
    expect(ids(open)).toEqual(expect.arrayContaining([a.id, b.id]))
    expect(ids(open)).not.toContain(c.id)
    const one = await list(tokens.service, {
      status: 'CANCELLED',
      vehicle_id: mine2.id,
      service_center_id: northId,
    })
    expect(ids(one)).toEqual([c.id])
    expect(ids(await list(tokens.service, { from: '2040-01-01T00:00:00Z', limit: '1' }))).toEqual([a.id])
    expect(ids(await list(tokens.service, { to: '2000-01-01T00:00:00Z' }))).toEqual([])
    expect(all.json().find((r: { id: string }) => r.id === b.id).allowed_transitions).toEqual([
      'COMPLETED',
      'CANCELLED',
    ])
  })

  it("answers another owner's vehicle or booking exactly like a missing one", async () => {
    const slot_time = nextSlot()
    const other = await post(tokens.customer, { vehicle_id: theirs.id, slot_time })
    const unknown = await post(tokens.customer, { vehicle_id: randomUUID(), slot_time })
    expect(other.statusCode).toBe(404)
    expect(other.json().error.code).toBe('VEHICLE_NOT_FOUND')
    expect(other.body).toBe(unknown.body)
    const byVin = await post(tokens.customer, { vin: theirs.vin, slot_time })
    expect(byVin.body).toBe((await post(tokens.customer, { vin: 'ZZZBKTEST00000000', slot_time })).body)

    const booking = await direct(theirs, 'PENDING')
    const probe = await patch(tokens.customer, booking.id, { status: 'CANCELLED' })
    const missing = await patch(tokens.customer, randomUUID(), { status: 'CANCELLED' })
    expect(probe.statusCode).toBe(404)
    expect(probe.json().error.code).toBe('BOOKING_NOT_FOUND')
    expect(probe.body).toBe(missing.body)
    expect((await t.app.services.repos.bookings.getBooking(booking.id))?.status).toBe('PENDING')
  })

  it('rejects bad queries and bodies with 400 naming the field', async () => {
    const expect400 = async (res: Awaited<ReturnType<typeof list>>, field: string, text?: string) => {
      expect(res.statusCode).toBe(400)
      const { error } = res.json()
      expect(error.code).toBe('VALIDATION_FAILED')
      expect(error.message).toContain(field)
      if (text) expect(error.message).toContain(text)
    }
    await expect400(await list(tokens.service, { status: 'PENDING,DONE' }), 'status', 'DONE')
    await expect400(await list(tokens.service, { vehicle_id: 'abc' }), 'querystring.vehicle_id')
    await expect400(await list(tokens.service, { from: 'yesterday' }), 'querystring.from')
    await expect400(await list(tokens.service, { limit: '0' }), 'querystring.limit')

    const slot_time = nextSlot()
    await expect400(await post(tokens.customer, { slot_time }), 'body.vehicle_id')
    await expect400(
      await post(tokens.customer, { slot_time, vehicle_id: mine.id, vin: mine.vin }),
      'body.vehicle_id',
    )
    await expect400(await post(tokens.customer, { slot_time, vin: 'SHORT' }), 'body.vin')
    await expect400(
      await post(tokens.customer, { vehicle_id: mine.id, slot_time: 'tomorrow' }),
      'body.slot_time',
    )
    await expect400(await post(tokens.customer, { vehicle_id: mine.id }), 'body.slot_time')
    await expect400(
      await post(tokens.customer, { vehicle_id: mine.id, slot_time, notes: 'x'.repeat(1001) }),
      'body.notes',
    )
    await expect400(
      await post(tokens.customer, { vehicle_id: mine.id, slot_time, service_center_id: 'north' }),
      'body.service_center_id',
    )
    await expect400(
      await post(tokens.customer, { vehicle_id: mine.id, slot_time }, { 'idempotency-key': 'k'.repeat(129) }),
      'headers.idempotency-key',
    )
    await expect400(await patch(tokens.service, randomUUID(), { status: 'DONE' }), 'body.status')
    await expect400(await patch(tokens.service, 'not-a-uuid', { status: 'CONFIRMED' }), 'params.id')
  })

  it('refuses a slot outside the hours, in the past or off the grid with 400 SLOT_UNAVAILABLE', async () => {
    const day = nextSlot().slice(0, 10)
    for (const slot_time of [`${day}T02:00:00Z`, '2020-01-06T09:00:00Z', `${day}T09:17:00Z`]) {
      const res = await post(tokens.customer, { vehicle_id: mine.id, slot_time, service_center_id: northId })
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('SLOT_UNAVAILABLE')
    }
  })

  describe('status transitions', () => {
    it.each(
      (['customer', 'service', 'manufacturer'] as const).flatMap((role) =>
        PAIRS.map(([from, to]) => [role, from, to] as const),
      ),
    )('%s: %s -> %s', async (role, from, to) => {
      const booking = await direct(mine, from)
      const res = await patch(tokens[role], booking.id, { status: to })
      if (role === 'manufacturer') {
        expect(res.statusCode).toBe(403)
      } else if (LEGAL[role].includes(`${from}>${to}`)) {
        expect(res.statusCode).toBe(200)
        expect(res.json()).toMatchObject({
          id: booking.id,
          status: to,
          allowed_transitions: allowedTransitions(role, to),
        })
        expect(new Date(res.json().updated_at).getTime()).toBeGreaterThanOrEqual(booking.updated_at.getTime())
      } else {
        expect(res.statusCode).toBe(409)
        expect(res.json().error).toMatchObject({
          code: 'INVALID_TRANSITION',
          details: { from, to, allowed: allowedTransitions(role, from) },
        })
      }
      const expected = res.statusCode === 200 ? to : from
      expect((await t.app.services.repos.bookings.getBooking(booking.id))?.status).toBe(expected)
    })
  })

  it('resolves the anomaly event when its booking is completed, and publishes each change', async () => {
    const event = await t.app.services.repos.anomalies.createAnomalyEvent(
      mine.id,
      'battery_thermal',
      'High',
      {},
    )
    const booking = await direct(mine, 'PENDING', event.id)
    messages.length = 0
    expect((await patch(tokens.customer, booking.id, { status: 'CONFIRMED' })).statusCode).toBe(200)
    expect((await t.app.services.repos.anomalies.getAnomalyEvent(event.id))?.status).toBe('OPEN')
    const done = await patch(tokens.service, booking.id, { status: 'COMPLETED' })
    expect(done.statusCode).toBe(200)
    const resolved = await t.app.services.repos.anomalies.getAnomalyEvent(event.id)
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolution: 'serviced' })
    expect(resolved?.resolved_at).toBeInstanceOf(Date)
    expect(messages.map((m) => [m.type, (m.data as { status: string }).status, m.ownerId, m.vin])).toEqual([
      ['booking', 'CONFIRMED', mine.owner_id, mine.vin],
      ['booking', 'COMPLETED', mine.owner_id, mine.vin],
      // The desk's alarm console and fleet list, and the owner's banner, hear the alarm closed.
      ['alarm', 'RESOLVED', mine.owner_id, mine.vin],
      ['chat', undefined, mine.owner_id, mine.vin],
    ])
    expect(
      messages
        .filter((m) => m.type === 'booking')
        .every((m) => (m.data as { allowed_transitions: unknown[] }).allowed_transitions.length === 0),
    ).toBe(true)
  })

  it('books once for a repeated Idempotency-Key and says it replayed', async () => {
    const body = { vehicle_id: mine.id, slot_time: nextSlot() }
    const key = { 'idempotency-key': `retry-${kind}` }
    const first = await post(tokens.customer, body, key)
    const second = await post(tokens.customer, body, key)
    expect(first.statusCode).toBe(201)
    expect(second.statusCode).toBe(201)
    expect(second.headers['idempotent-replayed']).toBe('true')
    expect(second.json()).toEqual(first.json())
    // The same key from another customer is another request.
    const theirsToo = await post(tokens.other, { vehicle_id: theirs.id, slot_time: body.slot_time }, key)
    expect(theirsToo.statusCode).toBe(201)
    expect(theirsToo.json().id).not.toBe(first.json().id)
    const rows = await t.app.services.repos.bookings.getBookings()
    expect(rows.filter((r) => r.idempotency_key === key['idempotency-key'])).toHaveLength(2)
  })

  it('books the last free bay once among ten concurrent requests', async () => {
    const slot_time = nextSlot()
    await t.app.services.scheduling.bookAppointment(slot_time, mine2.id, { serviceCenterId: northId })
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        post(tokens.customer, { vehicle_id: mine.id, slot_time, service_center_id: northId }),
      ),
    )
    const codes = results.map((r) => r.statusCode).sort()
    expect(codes).toEqual([201, ...Array(9).fill(409)])
    expect(
      results.filter((r) => r.statusCode === 409).every((r) => r.json().error.code === 'SLOT_TAKEN'),
    ).toBe(true)
  })

  it('treats SQL-looking strings in every parameter as data', async () => {
    for (const s of SQLISH) {
      const bad = [
        await list(tokens.service, { status: s }),
        await list(tokens.service, { vehicle_id: s }),
        await list(tokens.service, { service_center_id: s }),
        await list(tokens.service, { from: s }),
        await post(tokens.customer, { vin: s, slot_time: nextSlot() }),
        await post(tokens.customer, { vehicle_id: s, slot_time: nextSlot() }),
        await post(tokens.customer, { vehicle_id: mine.id, slot_time: s }),
        await post(tokens.customer, { vehicle_id: mine.id, slot_time: nextSlot(), service_center_id: s }),
        await patch(tokens.service, encodeURIComponent(s), { status: 'CONFIRMED' }),
        await patch(tokens.service, randomUUID(), { status: s }),
      ]
      for (const res of bad) expect([400, 404]).toContain(res.statusCode)

      // Free text and keys are stored verbatim, never interpreted.
      const slot_time = nextSlot()
      const stored = await post(
        tokens.customer,
        { vehicle_id: mine.id, slot_time, notes: s },
        { 'idempotency-key': s },
      )
      expect(stored.statusCode).toBe(201)
      expect(stored.json().customer_notes).toBe(s)
      const replay = await post(tokens.customer, { vehicle_id: mine.id, slot_time }, { 'idempotency-key': s })
      expect(replay.json().id).toBe(stored.json().id)
    }
    const db = t.db.db
    for (const table of ['users', 'vehicles', 'service_bookings'] as const) {
      const n = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
      expect(Number(n.n)).toBeGreaterThan(0)
    }
  })
})
