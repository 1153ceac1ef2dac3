import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FLEET_OWNERS, FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'
import { TestClient } from '../helpers/ws.js'

const SQLISH = [`' OR 1=1 --`, `"; DROP TABLE users; --`]

describe.each(DB_KINDS)('chat API on %s', (kind) => {
  let t: TestApp
  let wsBase: string
  const tokens = {} as Record<'customer' | 'service' | 'manufacturer' | 'other', string>
  const mine = FLEET_VEHICLES.filter((v) => v.ownerEmail === DEMO.customer.email).map((v) => v.vin)
  const other = FLEET_VEHICLES.find((v) => v.ownerEmail !== DEMO.customer.email)!
  const otherOwner = FLEET_OWNERS.find((o) => o.email === other.ownerEmail)!
  const [flowVin, declineVin, pickVin, wsVin] = mine as [string, string, string, string]

  const chat = (token: string, payload: object) =>
    t.app.inject({ method: 'POST', url: '/api/chat', headers: bearer(token), payload })
  const conversation = (token: string, vin: string) =>
    t.app.inject({ method: 'GET', url: `/api/chat/${encodeURIComponent(vin)}`, headers: bearer(token) })
  const bookingsOf = async (token: string, vin: string) =>
    (await t.app.inject({ method: 'GET', url: '/api/bookings', headers: bearer(token) }))
      .json()
      .filter((b: { vin: string }) => b.vin === vin)

  /** ~20 healthy readings, then a hot one: the graph writes an event, a diagnosis, a chat message and a proposal. */
  async function injectAnomaly(vin: string) {
    for (let i = 0; i < 20; i++)
      t.app.services.pipeline.ingest(makeReading(vin, step('2026-10-10T00:00:00Z', i)))
    t.app.services.pipeline.ingest(
      makeReading(vin, step('2026-10-10T00:00:00Z', 20), { battery_temperature: 55 }),
    )
    await t.app.services.episodes.drain()
  }

  beforeAll(async () => {
    t = await createTestApp(kind)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as { port: number }
    wsBase = `ws://127.0.0.1:${port}/ws/telemetry`
    tokens.customer = await login(t.app, DEMO.customer)
    tokens.service = await login(t.app, DEMO.service)
    tokens.manufacturer = await login(t.app, DEMO.manufacturer)
    tokens.other = await login(t.app, otherOwner)
  })
  afterAll(() => t?.close())

  it('"what should I do?" -> proposal -> "yes" ends with a CONFIRMED booking the service desk sees', async () => {
    await injectAnomaly(flowVin)
    const [proposal] = await bookingsOf(tokens.customer, flowVin)
    expect(proposal).toMatchObject({ status: 'PENDING', source: 'agent' })

    const help = await chat(tokens.customer, { vin: flowVin, message: 'What should I do?' })
    expect(help.statusCode).toBe(200)
    const reply = help.json().reply
    expect(reply).toMatchObject({ vin: flowVin, sender: 'agent', intent: 'help', booking_id: proposal.id })
    expect(reply.content).toMatch(/Severity: (High|Critical)\./)
    expect(reply.actions).toContainEqual(
      expect.objectContaining({ type: 'confirm_booking', booking_id: proposal.id }),
    )

    const yes = await chat(tokens.customer, { vin: flowVin, message: 'yes' })
    expect(yes.statusCode).toBe(200)
    expect(yes.json().booking).toMatchObject({ id: proposal.id, status: 'CONFIRMED', vin: flowVin })
    const seen = await bookingsOf(tokens.service, flowVin)
    expect(seen).toEqual([expect.objectContaining({ id: proposal.id, status: 'CONFIRMED' })])

    const history = (await conversation(tokens.customer, flowVin)).json()
    expect(history.map((m: { sender: string; intent: string }) => `${m.sender}:${m.intent}`)).toEqual([
      'agent:alert',
      'customer:help',
      'agent:help',
      'customer:approve',
      'agent:approve',
    ])
  })

  it('"no" declines the proposal and leaves no booking; asked again, the agent offers slots and books the second', async () => {
    await injectAnomaly(declineVin)
    const no = await chat(tokens.customer, { vin: declineVin, message: 'No' })
    expect(no.statusCode).toBe(200)
    expect(no.json().reply).toMatchObject({ intent: 'decline' })
    expect(no.json().booking).toBeUndefined()
    const live = (await bookingsOf(tokens.customer, declineVin)).filter(
      (b: { status: string }) => b.status !== 'CANCELLED',
    )
    expect(live).toEqual([])

    const help = (await chat(tokens.customer, { vin: declineVin, message: 'what should I do?' })).json()
    expect(help.offered_slots).toHaveLength(3)
    const pick = await chat(tokens.customer, { vin: declineVin, message: 'slot 2' })
    expect(pick.json().booking).toMatchObject({
      status: 'CONFIRMED',
      source: 'chat',
      appointment_time: help.offered_slots[1].start,
      service_center_id: help.offered_slots[1].service_center_id,
    })
  })

  it('books a slot picked by its exact time', async () => {
    const slots = await t.app.services.scheduling.checkAvailability(
      undefined,
      new Date(Date.now() + 3 * 3600_000),
      {
        limit: 5,
      },
    )
    const wanted = slots[4]!
    const res = await chat(tokens.customer, { vin: pickVin, message: `Please book ${wanted.start}` })
    expect(res.statusCode).toBe(200)
    expect(res.json().booking).toMatchObject({ status: 'CONFIRMED', appointment_time: wanted.start })
    expect(await bookingsOf(tokens.service, pickVin)).toEqual([
      expect.objectContaining({ appointment_time: wanted.start, status: 'CONFIRMED' }),
    ])
  })

  it('answers a WebSocket chat message with chat messages on the socket', async () => {
    const client = await TestClient.connect(`${wsBase}?token=${tokens.customer}`)
    const second = await TestClient.connect(`${wsBase}?token=${tokens.customer}`)
    await Promise.all([client.waitFor((m) => m.type === 'hello'), second.waitFor((m) => m.type === 'hello')])
    client.send({ type: 'chat', data: { vin: wsVin, content: 'How is my car?' } })
    const reply = await client.waitFor((m) => m.type === 'chat' && m.data.sender === 'agent')
    expect(reply.data).toMatchObject({ vin: wsVin, intent: 'status' })
    expect(reply.data.content).toMatch(/no open issues/)
    expect(client.of('chat').map((m) => m.data.sender)).toEqual(['customer', 'agent'])
    // The owner's other dashboard sees the conversation too.
    await second.waitFor((m) => m.type === 'chat' && m.data.id === reply.data.id)

    client.send({ type: 'chat', data: { vin: other.vin, content: 'hello' } })
    const error = await client.waitFor((m) => m.type === 'error')
    expect(error.data.code).toBe('VEHICLE_NOT_FOUND')
    await Promise.all([client.close(), second.close()])
  })

  it('hides other owners’ vehicles and unknown VINs behind 404', async () => {
    const theirs = await chat(tokens.customer, { vin: other.vin, message: 'what should I do?' })
    expect(theirs.statusCode).toBe(404)
    expect(theirs.json().error.code).toBe('VEHICLE_NOT_FOUND')
    expect((await chat(tokens.customer, { vin: '5ATVSA1E9SA999999', message: 'hi' })).statusCode).toBe(404)
    expect((await conversation(tokens.customer, other.vin)).statusCode).toBe(404)
    expect((await conversation(tokens.other, flowVin)).statusCode).toBe(404)
  })

  it('lets only customers chat, and customers and the service desk read conversations', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/api/chat', payload: {} })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: `/api/chat/${flowVin}` })).statusCode).toBe(401)
    expect((await chat(tokens.service, { vin: flowVin, message: 'hi' })).statusCode).toBe(403)
    expect((await chat(tokens.manufacturer, { vin: flowVin, message: 'hi' })).statusCode).toBe(403)
    expect((await conversation(tokens.customer, flowVin)).statusCode).toBe(200)
    const staff = await conversation(tokens.service, flowVin)
    expect(staff.statusCode).toBe(200)
    expect(staff.json().length).toBeGreaterThan(0)
    expect((await conversation(tokens.manufacturer, flowVin)).statusCode).toBe(403)
  })

  it('rejects invalid bodies with 400 naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{ vin: pickVin }, 'body.message'],
      [{ vin: pickVin, message: '   ' }, 'body.message'],
      [{ vin: pickVin, message: 'x'.repeat(2001) }, 'body.message'],
      [{ message: 'hi' }, 'body.vin'],
      [{ vin: 'nope', message: 'hi' }, 'body.vin'],
    ]
    for (const [payload, field] of cases) {
      const res = await chat(tokens.customer, payload)
      expect(res.statusCode).toBe(400)
      expect(res.json().error.message).toContain(field)
    }
  })

  it('stores SQL-looking messages as data and answers them; as a VIN they are a 400', async () => {
    for (const text of SQLISH) {
      const res = await chat(tokens.customer, { vin: pickVin, message: text })
      expect(res.statusCode).toBe(200)
      expect(res.json().reply.intent).toBe('fallback')
      expect((await chat(tokens.customer, { vin: text, message: 'hi' })).statusCode).toBe(400)
      expect((await conversation(tokens.customer, text)).statusCode).toBe(400)
    }
    const contents = (await conversation(tokens.customer, pickVin))
      .json()
      .map((m: { content: string }) => m.content)
    for (const text of SQLISH) expect(contents).toContain(text)
    // The users table is still there.
    expect(await login(t.app, DEMO.customer)).toEqual(expect.any(String))
  })
  it('answers a turn retried with its Idempotency-Key from the first try, and refuses the key for another message', async () => {
    const ask = (message: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/chat',
        headers: { ...bearer(tokens.customer), 'idempotency-key': 'api-retry-1' },
        payload: { vin: declineVin, message },
      })
    const first = await ask('how is my car')
    const again = await ask('how is my car')
    expect(first.statusCode).toBe(200)
    expect(first.headers['idempotent-replayed']).toBeUndefined()
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json().reply).toEqual(first.json().reply)
    const other = await ask('what should I do?')
    expect(other.statusCode).toBe(422)
    expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    const stored = (await conversation(tokens.customer, declineVin)).json() as {
      id: string
      content: string
    }[]
    expect(stored.filter((m) => m.content === 'how is my car')).toHaveLength(1)
    expect(stored.filter((m) => m.id === first.json().reply.id)).toHaveLength(1)
  })
})
