import { createServer, type Server } from 'node:net'
import { sql } from 'kysely'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { EmbeddedMqttIntake } from '../../src/ingest/mqtt-intake.js'
import { topics } from '../../src/ingest/mqtt-payload.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, healthDetails, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

/** Real MQTT clients against the service's embedded broker on a free port. */
describe.each(DB_KINDS)('MQTT intake on %s', (kind) => {
  let t: TestApp
  let url = ''
  const [car, other] = FLEET_VEHICLES
  const tokens = new Map<string, string>()
  const clients: MqttClient[] = []
  const START = '2026-10-20T00:00:00Z'

  const connect = async (username: string, password: string) => {
    const client = mqtt.connect(url, { username, password, reconnectPeriod: 0, clean: true })
    clients.push(client)
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
    })
    return client
  }
  const stored = async (vin: string, from: string) => {
    const r = await sql<{ n: number }>`select count(*)::int as n from telemetry_logs t join vehicles v
      on v.id = t.vehicle_id where v.vin = ${vin} and t.ts >= ${from}::timestamptz`.execute(t.db.db)
    return r.rows[0]!.n
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { MQTT_PORT: '0', MQTT_HOST: '127.0.0.1' })
    await t.app.services.mqtt!.start()
    url = `mqtt://127.0.0.1:${t.app.services.mqtt!.stats.port}`
    const oem = await login(t.app, DEMO.manufacturer)
    for (const v of [car!, other!]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/vehicles/${v.vin}/credentials`,
        headers: bearer(oem),
      })
      tokens.set(v.vin, res.json().device_token)
    }
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)))
    await t.close()
  })

  it('refuses a wrong or another vehicle’s token at CONNACK', async () => {
    await expect(connect(car!.vin, 'dev_not-a-real-token')).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    )
    await expect(connect(car!.vin, tokens.get(other!.vin)!)).rejects.toThrow(/Bad username or password/i)
    expect(t.app.services.mqtt!.stats.refusedConnections).toBeGreaterThanOrEqual(2)
  })

  it('acknowledges a QoS 1 message once its readings are stored, and stores a resent one once', async () => {
    const unit = await connect(car!.vin, tokens.get(car!.vin)!)
    const batch = [0, 1, 2].map((i) => ({ ...makeReading(car!.vin, step(START, i)), vin: undefined }))
    await unit.publishAsync(topics.telemetry(car!.vin), JSON.stringify(batch), { qos: 1 })
    // No waiting: the PUBACK itself means stored.
    expect(await stored(car!.vin, START)).toBe(3)
    const analysed = t.app.services.pipeline.stats.accepted
    // The unit lost the ack and sends it again, and one reading arrives late and out of order.
    await unit.publishAsync(topics.telemetry(car!.vin), JSON.stringify(batch), { qos: 1 })
    await unit.publishAsync(
      topics.telemetry(car!.vin),
      JSON.stringify(makeReading(car!.vin, step(START, 5))),
      { qos: 1 },
    )
    await unit.publishAsync(
      topics.telemetry(car!.vin),
      JSON.stringify(makeReading(car!.vin, step(START, 4))),
      { qos: 1 },
    )
    expect(await stored(car!.vin, START)).toBe(5)
    // Analysed once each, in order: only the newer reading (5) was new to the analysis.
    expect(t.app.services.pipeline.stats.accepted - analysed).toBe(1)
    expect(t.app.services.mqtt!.stats.duplicates).toBeGreaterThanOrEqual(3)
  })

  it('keeps the connection after a bad payload and says why on the unit’s errors topic', async () => {
    const unit = await connect(car!.vin, tokens.get(car!.vin)!)
    const errors: unknown[] = []
    unit.on(
      'message',
      (topic, payload) => topic === topics.errors(car!.vin) && errors.push(JSON.parse(String(payload))),
    )
    await unit.subscribeAsync(topics.errors(car!.vin), { qos: 1 })
    await unit.publishAsync(topics.telemetry(car!.vin), 'not json', { qos: 1 })
    await unit.publishAsync(
      topics.telemetry(car!.vin),
      JSON.stringify([
        makeReading(car!.vin, step(START, 10)),
        { timestamp: 'soon' },
        makeReading(other!.vin, step(START, 11)),
      ]),
      { qos: 1 },
    )
    await vi.waitFor(() => expect(errors).toHaveLength(2))
    expect(errors[0]).toMatchObject({ code: 'BAD_PAYLOAD' })
    expect(errors[1]).toMatchObject({
      code: 'READINGS_REJECTED',
      rejected: [
        { index: 1, code: 'INVALID_TIMESTAMP' },
        { index: 2, code: 'VIN_MISMATCH' },
      ],
    })
    expect(unit.connected).toBe(true)
    expect(await stored(car!.vin, step(START, 10))).toBe(1)
  })

  it('refuses publishing to another vehicle’s topic and subscribing to its alerts', async () => {
    const unit = await connect(car!.vin, tokens.get(car!.vin)!)
    // A SUBACK with the failure code (128), which the client reports as an error.
    await expect(unit.subscribeAsync(topics.alerts(other!.vin), { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    )
    const closed = new Promise<void>((resolve) => unit.once('close', () => resolve()))
    unit.publish(topics.telemetry(other!.vin), JSON.stringify(makeReading(other!.vin, step(START, 20))), {
      qos: 1,
    })
    await closed
    expect(await stored(other!.vin, step(START, 20))).toBe(0)
    expect(t.app.services.mqtt!.stats.refusedPublishes).toBeGreaterThanOrEqual(1)
  })

  it('publishes each alert of the vehicle to its unit', async () => {
    const unit = await connect(car!.vin, tokens.get(car!.vin)!)
    const alerts: { vin: string; anomaly_type: string }[] = []
    unit.on(
      'message',
      (topic, payload) => topic === topics.alerts(car!.vin) && alerts.push(JSON.parse(String(payload))),
    )
    await unit.subscribeAsync(topics.alerts(car!.vin), { qos: 1 })
    const hot = [30, 31, 32].map((i) => makeReading(car!.vin, step(START, i), { battery_temperature: 52 }))
    await unit.publishAsync(topics.telemetry(car!.vin), JSON.stringify(hot), { qos: 1 })
    await vi.waitFor(() => expect(alerts).toHaveLength(1), { timeout: 10_000 })
    expect(alerts[0]).toMatchObject({ vin: car!.vin, anomaly_type: 'battery_thermal' })
  })

  // Runs last: intake stays stopped.
  it('while stopping: leaves a refused message unacknowledged, and closes with units still connected', async () => {
    const unit = await connect(car!.vin, tokens.get(car!.vin)!)
    const idle = await connect(other!.vin, tokens.get(other!.vin)!)
    t.app.services.stopIntake()
    // The reading is refused (SHUTTING_DOWN): a PUBACK would make the unit forget it for good.
    const dropped = new Promise<void>((resolve) => unit.once('close', () => resolve()))
    let acknowledged = false
    unit.publish(
      topics.telemetry(car!.vin),
      JSON.stringify(makeReading(car!.vin, step(START, 40))),
      { qos: 1 },
      (err) => {
        acknowledged = !err
      },
    )
    await dropped
    expect(acknowledged).toBe(false)
    expect(await stored(car!.vin, step(START, 40))).toBe(0)
    // A unit that stays connected does not hold the stop.
    const ended = new Promise<void>((resolve) => idle.once('close', () => resolve()))
    await t.app.services.mqtt!.close()
    await ended
    expect(t.app.services.mqtt!.stats.status).toBe('closed')
  })
})

describe('MQTT intake when its port is taken', () => {
  let blocker: Server
  let t: TestApp
  beforeAll(async () => {
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()))
    const { port } = blocker.address() as { port: number }
    t = await createTestApp('pglite', { MQTT_PORT: String(port), MQTT_HOST: '127.0.0.1' })
  })
  afterAll(async () => {
    await t.close()
    await new Promise<void>((resolve) => blocker.close(() => resolve()))
  })

  it('still serves, and health names MQTT_PORT as the reason MQTT is unavailable', async () => {
    const mqttIntake = t.app.services.mqtt as EmbeddedMqttIntake
    await mqttIntake.start()
    const health = (await healthDetails(t.app)).json()
    expect(health.components.mqtt).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(/EADDRINUSE/),
    })
  })
})
