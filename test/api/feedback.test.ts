import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FLEET_OWNERS, FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { TestClient } from '../helpers/ws.js'

describe.each(DB_KINDS)('service feedback on %s', (kind) => {
  let t: TestApp
  let owner: TestClient
  const tokens = {} as Record<'customer' | 'service' | 'manufacturer' | 'other', string>
  const vin = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!.vin
  const otherOwner = FLEET_OWNERS.find((o) => o.email !== DEMO.customer.email)!
  let slots: string[]

  const rate = (token: string, id: string, payload: object) =>
    t.app.inject({ method: 'POST', url: `/api/bookings/${id}/feedback`, headers: bearer(token), payload })
  const patch = (token: string, id: string, status: string) =>
    t.app.inject({ method: 'PATCH', url: `/api/bookings/${id}`, headers: bearer(token), payload: { status } })
  /** A customer booking moved to CONFIRMED, ready for the service desk to complete. */
  async function confirmedBooking(): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/bookings',
      headers: bearer(tokens.customer),
      payload: { vin, slot_time: slots.shift() },
    })
    expect(res.statusCode).toBe(201)
    const id = res.json().id
    expect((await patch(tokens.customer, id, 'CONFIRMED')).statusCode).toBe(200)
    return id
  }

  beforeAll(async () => {
    t = await createTestApp(kind)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as { port: number }
    tokens.customer = await login(t.app, DEMO.customer)
    tokens.service = await login(t.app, DEMO.service)
    tokens.manufacturer = await login(t.app, DEMO.manufacturer)
    tokens.other = await login(t.app, otherOwner)
    owner = await TestClient.connect(`ws://127.0.0.1:${port}/ws/telemetry?token=${tokens.customer}`)
    await owner.waitFor((m) => m.type === 'hello')
    const from = new Date(Date.now() + 2 * 3600_000)
    // Two centres often offer the same start; one vehicle holds one booking per start.
    const open = await t.app.services.scheduling.checkAvailability(undefined, from, { limit: 20 })
    slots = [...new Set(open.map((s) => s.start))]
  })
  afterAll(async () => {
    await owner?.close()
    await t?.close()
  })

  it('asks the owner for a rating when the service desk completes a booking, then takes it once', async () => {
    const id = await confirmedBooking()
    const early = await rate(tokens.customer, id, { rating: 5 })
    expect(early.statusCode).toBe(409)
    expect(early.json().error).toMatchObject({
      code: 'FEEDBACK_NOT_ALLOWED',
      details: { status: 'CONFIRMED' },
    })

    expect((await patch(tokens.service, id, 'COMPLETED')).statusCode).toBe(200)
    const request = await owner.waitFor((m) => m.type === 'chat' && m.data.intent === 'feedback_request')
    expect(request.data).toMatchObject({ vin, sender: 'agent', booking_id: id })
    expect(request.data.content).toMatch(/rate the service from 1 \(poor\) to 5 \(excellent\)/)
    const history = await t.app.inject({
      method: 'GET',
      url: `/api/chat/${vin}`,
      headers: bearer(tokens.customer),
    })
    expect(history.json()).toContainEqual(expect.objectContaining({ id: request.data.id, booking_id: id }))

    const first = await rate(tokens.customer, id, { rating: 4, comment: '  Quick and friendly  ' })
    expect(first.statusCode).toBe(201)
    expect(first.json()).toEqual({
      id: expect.any(String),
      booking_id: id,
      rating: 4,
      comment: 'Quick and friendly',
      created_at: expect.stringMatching(/Z$/),
    })
    await owner.waitFor((m) => m.type === 'chat' && m.data.intent === 'feedback_thanks')
    const again = await rate(tokens.customer, id, { rating: 1 })
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('ALREADY_EXISTS')
    expect((await t.app.services.repos.feedback.findForBooking(id))?.rating).toBe(4)
  })

  it('gives back the rating after it was given (a reload shows it), null before, 404 for others', async () => {
    const id = await confirmedBooking()
    expect((await patch(tokens.service, id, 'COMPLETED')).statusCode).toBe(200)
    const read = (token: string, bookingId = id) =>
      t.app.inject({ url: `/api/bookings/${bookingId}/feedback`, headers: bearer(token) })
    const before = await read(tokens.customer)
    expect(before.statusCode).toBe(200)
    expect(before.json()).toEqual({ feedback: null })
    expect((await rate(tokens.customer, id, { rating: 2, comment: 'Late' })).statusCode).toBe(201)
    const after = await read(tokens.customer)
    expect(after.json().feedback).toMatchObject({ booking_id: id, rating: 2, comment: 'Late' })
    // The desk sees how its work was rated; another owner cannot tell the booking exists.
    expect((await read(tokens.service)).json().feedback.rating).toBe(2)
    expect((await read(tokens.other)).statusCode).toBe(404)
    expect((await read(tokens.customer, randomUUID())).statusCode).toBe(404)
  })

  it('hides other owners’ and missing bookings behind 404, and lets only customers rate', async () => {
    const id = await confirmedBooking()
    expect((await patch(tokens.service, id, 'COMPLETED')).statusCode).toBe(200)
    const theirs = await rate(tokens.other, id, { rating: 5 })
    expect(theirs.statusCode).toBe(404)
    expect(theirs.json().error.code).toBe('BOOKING_NOT_FOUND')
    expect((await rate(tokens.customer, randomUUID(), { rating: 5 })).statusCode).toBe(404)
    expect((await rate(tokens.service, id, { rating: 5 })).statusCode).toBe(403)
    expect((await rate(tokens.manufacturer, id, { rating: 5 })).statusCode).toBe(403)
    const anon = await t.app.inject({
      method: 'POST',
      url: `/api/bookings/${id}/feedback`,
      payload: { rating: 5 },
    })
    expect(anon.statusCode).toBe(401)
  })

  it('rejects invalid input with 400 naming the field and stores SQL-looking comments as data', async () => {
    const id = await confirmedBooking()
    expect((await patch(tokens.service, id, 'COMPLETED')).statusCode).toBe(200)
    const cases: Array<[string, object, string]> = [
      [id, {}, 'body.rating'],
      [id, { rating: 0 }, 'body.rating'],
      [id, { rating: 6 }, 'body.rating'],
      [id, { rating: 4.5 }, 'body.rating'],
      [id, { rating: 5, comment: 'x'.repeat(2001) }, 'body.comment'],
      [`' OR 1=1 --`, { rating: 5 }, 'params.id'],
    ]
    for (const [target, payload, field] of cases) {
      const res = await rate(tokens.customer, encodeURIComponent(target), payload)
      expect(res.statusCode).toBe(400)
      expect(res.json().error.message).toContain(field)
    }
    const sqlish = `"; DROP TABLE users; --`
    const res = await rate(tokens.customer, id, { rating: 3, comment: sqlish })
    expect(res.statusCode).toBe(201)
    expect(res.json().comment).toBe(sqlish)
  })
})
