import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { makeReading, step } from '../helpers/readings.js'
import { TestClient } from '../helpers/ws.js'

describe('WS /ws/telemetry', () => {
  let t: TestApp
  let base: string
  let customerToken: string
  let serviceToken: string
  const own = FLEET_VEHICLES.filter((v) => v.ownerEmail === DEMO.customer.email).map((v) => v.vin)
  const others = FLEET_VEHICLES.filter((v) => v.ownerEmail !== DEMO.customer.email).map((v) => v.vin)
  let tick = 0

  function ingestFleet(): void {
    const ts = step('2026-10-05T00:00:00Z', tick++)
    for (const v of FLEET_VEHICLES) t.app.services.pipeline.ingest(makeReading(v.vin, ts))
  }

  beforeAll(async () => {
    t = await createTestApp()
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    base = `ws://127.0.0.1:${address.port}/ws/telemetry`
    customerToken = await login(t.app, DEMO.customer)
    serviceToken = await login(t.app, DEMO.service)
  })
  afterAll(() => t.close())

  it('refuses the upgrade with 401 without a valid token', async () => {
    expect(await TestClient.refusal(base)).toBe(401)
    expect(await TestClient.refusal(`${base}?token=not-a-jwt`)).toBe(401)
  })

  it('streams telemetry messages to a client with a token (query or header)', async () => {
    const byQuery = await TestClient.connect(`${base}?token=${customerToken}`)
    const byHeader = await TestClient.connect(base, { authorization: `Bearer ${serviceToken}` })
    await byQuery.waitFor((m) => m.type === 'hello')
    ingestFleet()
    const msg = await byQuery.waitFor((m) => m.type === 'telemetry')
    expect(msg.data).toMatchObject({ vin: expect.any(String), timestamp: expect.stringMatching(/Z$/) })
    expect(typeof msg.data.battery_temperature).toBe('number')
    await byHeader.waitFor((m) => m.type === 'telemetry')
    await Promise.all([byQuery.close(), byHeader.close()])
  })

  it('never sends a customer another owner’s vehicle; staff get the whole fleet', async () => {
    const customer = await TestClient.connect(`${base}?token=${customerToken}`)
    const staff = await TestClient.connect(`${base}?token=${serviceToken}`)
    await Promise.all([customer.waitFor((m) => m.type === 'hello'), staff.waitFor((m) => m.type === 'hello')])
    for (let i = 0; i < 5; i++) ingestFleet()
    await vi.waitFor(() => expect(staff.of('telemetry')).toHaveLength(5 * FLEET_VEHICLES.length))
    await vi.waitFor(() => expect(customer.of('telemetry')).toHaveLength(5 * own.length))
    const seen = new Set(customer.of('telemetry').map((m) => m.data.vin))
    expect([...seen].sort()).toEqual([...own].sort())
    for (const vin of others) expect(seen.has(vin)).toBe(false)
    await Promise.all([customer.close(), staff.close()])
  })

  it('refuses a customer’s ?vin= of another owner with 404, and lets staff narrow the stream', async () => {
    expect(await TestClient.refusal(`${base}?token=${customerToken}&vin=${others[0]}`)).toBe(404)
    const staff = await TestClient.connect(`${base}?token=${serviceToken}&vin=${others[0]}`)
    await staff.waitFor((m) => m.type === 'hello')
    ingestFleet()
    await staff.waitFor((m) => m.type === 'telemetry')
    staff.send({ type: 'subscribe', vins: [others[1]] })
    await staff.waitFor((m) => m.type === 'subscribed')
    ingestFleet()
    await vi.waitFor(() => expect(staff.of('telemetry')).toHaveLength(2))
    expect(staff.of('telemetry').map((m) => m.data.vin)).toEqual([others[0], others[1]])
    await staff.close()
  })

  it('answers a bad client frame with an error frame and keeps streaming', async () => {
    const client = await TestClient.connect(`${base}?token=${customerToken}`)
    await client.waitFor((m) => m.type === 'hello')
    client.send('this is not json')
    client.send({ type: 'subscribe', vins: 'everything' })
    client.send({ type: 'launch_missiles' })
    client.send({ type: 'subscribe', vins: [others[0]] })
    await vi.waitFor(() => expect(client.of('error')).toHaveLength(4))
    expect(client.of('error').map((m) => m.data.code)).toEqual([
      'BAD_MESSAGE',
      'BAD_MESSAGE',
      'BAD_MESSAGE',
      'VEHICLE_NOT_FOUND',
    ])
    client.send({ type: 'ping' })
    await client.waitFor((m) => m.type === 'pong')
    ingestFleet()
    await client.waitFor((m) => m.type === 'telemetry')
    expect(client.socket.readyState).toBe(client.socket.OPEN)
    await client.close()
  })

  it('frees everything on disconnect', async () => {
    const subscribersBefore = t.app.services.bus.subscriberCount
    await vi.waitFor(() => expect(t.app.services.hub.stats.connections).toBe(0))
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => TestClient.connect(`${base}?token=${customerToken}`)),
    )
    await vi.waitFor(() => expect(t.app.services.hub.stats.connections).toBe(20))
    expect(t.app.services.bus.subscriberCount).toBe(subscribersBefore)
    await Promise.all(clients.map((c) => c.close()))
    await vi.waitFor(() => expect(t.app.services.hub.stats.connections).toBe(0))
    expect(t.app.services.bus.subscriberCount).toBe(subscribersBefore)
  })
})
