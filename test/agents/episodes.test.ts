import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'
import { TestClient } from '../helpers/ws.js'

describe.each(DB_KINDS)('alarms through the real pipeline on %s', (kind) => {
  let t: TestApp
  let owner: TestClient
  let staff: TestClient
  const vehicle = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!
  const other = FLEET_VEHICLES.find((v) => v.ownerEmail !== DEMO.customer.email)!
  const START = '2026-10-10T00:00:00Z'
  let i = 0
  const feed = (overrides: Parameters<typeof makeReading>[2] = {}) => {
    const ts = step(START, i++)
    t.app.services.pipeline.ingest(makeReading(vehicle.vin, ts, overrides))
    t.app.services.pipeline.ingest(makeReading(other.vin, ts))
  }

  beforeAll(async () => {
    t = await createTestApp(kind)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as { port: number }
    owner = await TestClient.connect(
      `ws://127.0.0.1:${port}/ws/telemetry?token=${await login(t.app, DEMO.customer)}`,
    )
    staff = await TestClient.connect(
      `ws://127.0.0.1:${port}/ws/telemetry?token=${await login(t.app, DEMO.service)}`,
    )
    await Promise.all([owner.waitFor((m) => m.type === 'hello'), staff.waitFor((m) => m.type === 'hello')])
    for (let k = 0; k < 20; k++) feed()
  })
  afterAll(async () => {
    await Promise.all([owner.close(), staff.close()])
    await t.close()
  })

  it('turns an injected hot reading into an event, a diagnosis and an alert on the owner’s socket before the follow-ups finish', async () => {
    // The follow-ups (the owner's message, then the booking and RCA) are held until the alert is
    // out: an alert that waited for them would never arrive.
    const engagement = t.app.services.agents.engagement
    const phraseMessage = engagement.phraseMessage
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let followUpsStarted!: () => void
    const started = new Promise<void>((resolve) => {
      followUpsStarted = resolve
    })
    engagement.phraseMessage = async (...args) => {
      followUpsStarted()
      await held
      return phraseMessage.apply(engagement, args)
    }
    let alert: Awaited<ReturnType<typeof owner.waitFor>>
    try {
      feed({ battery_temperature: 52 })
      alert = await owner.waitFor((m) => m.type === 'alert')
      await started
      expect(owner.of('chat')).toHaveLength(0)
      expect(owner.of('booking')).toHaveLength(0)
    } finally {
      engagement.phraseMessage = phraseMessage
      release()
    }
    expect(alert.data).toMatchObject({
      vin: vehicle.vin,
      anomaly_type: 'battery_thermal',
      severity: expect.stringMatching(/High|Critical/),
      diagnosis: expect.stringMatching(/thermal/i),
      // One reading supports no trend: the remaining life is unknown, not a made-up number.
      rul: null,
      rul_method: 'insufficient-trend',
      reason: expect.stringMatching(/battery/i),
    })
    expect((alert.data.signals as unknown[]).length).toBeGreaterThan(0)
    const chat = await owner.waitFor((m) => m.type === 'chat')
    expect(chat.data).toMatchObject({ sender: 'agent', vin: vehicle.vin })
    // The alert does not wait for scheduling and RCA: it is out before the run's message and booking.
    await owner.waitFor((m) => m.type === 'booking')
    const order = owner.messages
      .map((m) => m.type)
      .filter((type) => ['alert', 'chat', 'booking'].includes(type))
    expect(order.indexOf('alert')).toBeLessThan(Math.min(order.indexOf('chat'), order.indexOf('booking')))
    await staff.waitFor((m) => m.type === 'alert')
    const event = await t.app.services.repos.anomalies.getAnomalyEvent(alert.data.anomaly_event_id as string)
    expect(event).toMatchObject({ anomaly_type: 'battery_thermal', status: 'OPEN' })
    expect(await t.app.services.repos.diagnoses.listForEvent(event!.id)).toHaveLength(1)
  })

  it('keeps 200 consecutive hot readings to one event, one alert and one booking', async () => {
    for (let k = 0; k < 199; k++) feed({ battery_temperature: 52 })
    await t.app.services.episodes.drain()
    const vehicleId = (await t.app.services.repos.vehicles.getByVin(vehicle.vin))!.id
    const events = (await t.app.services.repos.anomalies.listForVehicle(vehicleId)).filter(
      (e) => e.anomaly_type === 'battery_thermal',
    )
    expect(events).toHaveLength(1)
    expect(events[0]!.occurrences).toBe(200)
    expect(owner.of('alert')).toHaveLength(1)
    const bookings = await t.db.db
      .selectFrom('service_bookings')
      .selectAll()
      .where('vehicle_id', '=', vehicleId)
      .execute()
    expect(bookings).toHaveLength(1)
    expect(owner.of('booking')).toHaveLength(1)
    expect(staff.of('booking')).toHaveLength(1)
  })

  it('resolves the event once the signal has recovered for several readings, and withdraws its unanswered proposal', async () => {
    for (let k = 0; k < 8; k++) feed()
    await t.app.services.episodes.drain()
    const vehicleId = (await t.app.services.repos.vehicles.getByVin(vehicle.vin))!.id
    const [event] = (await t.app.services.repos.anomalies.listForVehicle(vehicleId)).filter(
      (e) => e.anomaly_type === 'battery_thermal',
    )
    expect(event).toMatchObject({ status: 'RESOLVED', resolution: 'recovered' })
    expect(event!.resolved_at).toBeInstanceOf(Date)
    await owner.waitFor((m) => m.type === 'alarm' && m.data.status === 'RESOLVED')
    // The proposal nobody answered is withdrawn with the fault: its bay is free again, and the
    // owner's and the desk's screens hear of it.
    const proposals = await t.db.db
      .selectFrom('service_bookings')
      .selectAll()
      .where('anomaly_event_id', '=', event!.id)
      .execute()
    expect(proposals.map((b) => b.status)).toEqual(['CANCELLED'])
    for (const client of [owner, staff])
      await client.waitFor(
        (m) => m.type === 'booking' && m.data.id === proposals[0]!.id && m.data.status === 'CANCELLED',
      )
    // The owner is told why, once, naming the slot that was given up.
    const told = await owner.waitFor((m) => m.type === 'chat' && m.data.intent === 'proposal_withdrawn')
    expect(told.data.content).toMatch(
      /^Good news: "Battery running hot" .* has cleared on its own, so I have withdrawn/,
    )
    expect(told.data.content).toMatch(
      /proposed for \w{3} \d{1,2} \w{3}, \d{2}:\d{2} \S+ \(.+\)\. If it comes back/,
    )
    expect(
      owner.messages.filter((m) => m.type === 'chat' && m.data.intent === 'proposal_withdrawn'),
    ).toHaveLength(1)
    // The other owner's vehicle never reached this owner.
    expect(owner.messages.some((m) => m.data?.vin === other.vin)).toBe(false)
  })
})
