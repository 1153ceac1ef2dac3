import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { topics } from '../../src/ingest/mqtt-payload.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { createTestApp, type TestApp } from '../helpers/app.js'
import { makeReading, step } from '../helpers/readings.js'

/**
 * The service as a client of an external broker: the machine's Mosquitto (127.0.0.1:1883, or
 * TEST_MQTT_URL). In CI it must be there; elsewhere the test is skipped when nothing answers.
 */
const BROKER = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883'
const reachable = await mqtt
  .connectAsync(BROKER, { reconnectPeriod: 0, connectTimeout: 2000 })
  .then((c) => c.endAsync().then(() => true))
  .catch(() => false)
if (!reachable && process.env.CI) throw new Error(`the MQTT broker at ${BROKER} does not answer; CI needs it`)

describe.runIf(reachable)('MQTT bridge to an external broker', () => {
  let t: TestApp
  const car = FLEET_VEHICLES[0]!
  // A group of its own: other subscribers of the broker get their own copies, never this one's.
  const group = `test-${randomUUID().slice(0, 8)}`
  const START = '2026-10-25T00:00:00Z'

  beforeAll(async () => {
    t = await createTestApp('pglite', { MQTT_URL: BROKER, MQTT_SHARE_GROUP: group })
    await t.app.services.mqtt!.start()
  })
  afterAll(() => t.close())

  it('stores what units publish through the broker once, resent or not', async () => {
    const unit = await mqtt.connectAsync(BROKER, { reconnectPeriod: 0 })
    const readings = [0, 1, 2].map((i) => makeReading(car.vin, step(START, i)))
    await unit.publishAsync(topics.telemetry(car.vin), JSON.stringify(readings), { qos: 1 })
    await unit.publishAsync(topics.telemetry(car.vin), JSON.stringify(readings[1]), { qos: 1 })
    await unit.endAsync()
    const count = async () =>
      (
        await sql<{
          n: number
        }>`select count(*)::int as n from telemetry_logs t join vehicles v on v.id = t.vehicle_id
        where v.vin = ${car.vin} and t.ts >= ${START}::timestamptz`.execute(t.db.db)
      ).rows[0]!.n
    const answered = () => t.app.services.mqtt!.stats.stored + t.app.services.mqtt!.stats.duplicates
    await vi.waitFor(() => expect(answered()).toBe(4), { timeout: 10_000 })
    expect(await count()).toBe(3)
    expect(t.app.services.mqtt!.stats).toMatchObject({
      mode: 'external',
      status: 'up',
      stored: 3,
      duplicates: 1,
    })
  })
})
