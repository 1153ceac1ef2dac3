import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { Cluster } from '../../src/cluster/cluster.js'
import { seedDemoData } from '../../src/demo.js'
import { DEMO, healthDetails, login, onboardVehicle, testConfig } from '../helpers/app.js'
import { MACHINE_NATS, natsNames, natsReachable, randomVin, removeNatsNames } from '../helpers/cluster.js'
import { createTestDatabase } from '../helpers/db.js'
import { makeReading } from '../helpers/readings.js'
import { until } from '../helpers/server-process.js'
import { TestClient } from '../helpers/ws.js'

/**
 * One process in the `all` role with NATS_URL (on PGlite: one process needs no server): a
 * device's reading goes through the stream and back to this process's worker side, and its live
 * telemetry reaches a WebSocket client through core NATS.
 */
const reachable = await natsReachable(MACHINE_NATS)
if (!reachable && process.env.CI === 'true') throw new Error(`NATS at ${MACHINE_NATS} does not answer`)
if (!reachable)
  console.warn(`SKIPPING the single-member cluster test: NATS at ${MACHINE_NATS} does not answer`)

describe.skipIf(!reachable)('the all role over NATS', () => {
  const names = natsNames()
  const config = testConfig({
    NATS_URL: MACHINE_NATS,
    ...names,
    NATS_PARTITIONS: '4',
    NATS_LEASE_TTL_MS: '2000',
  })
  let close: () => Promise<void> = async () => {}
  let app: Awaited<ReturnType<typeof buildApp>>

  beforeAll(async () => {
    const db = await createTestDatabase('pglite')
    await seedDemoData(db.db)
    const cluster = await Cluster.open(config.nats!, 'all', pino({ level: 'silent' }))
    app = await buildApp({ config, db, cluster, logger: false })
    await app.listen({ port: 0, host: '127.0.0.1' })
    close = async () => {
      await app.close()
      await cluster.close()
      await db.close()
      await removeNatsNames(MACHINE_NATS, names.NATS_STREAM)
    }
  }, 30_000)
  afterAll(() => close(), 30_000)

  it('stores a device reading from the stream, pushes it live over NATS, and shows the cluster to staff', async () => {
    const oem = await login(app, DEMO.manufacturer)
    const unit = await onboardVehicle(app, oem, randomVin(), 'Model C')
    const address = app.server.address() as { port: number }
    const ws = await TestClient.connect(`ws://127.0.0.1:${address.port}/ws/telemetry?token=${oem}`)
    await until(
      'every partition owned',
      async () => (await healthDetails(app)).json().components.cluster.leases.owned.length === 4,
      15_000,
    )
    const { vin: _vin, ...reading } = makeReading(unit.vin, new Date(Date.now() - 60_000))
    const send = () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/telemetry',
        headers: { authorization: `Bearer ${unit.token}` },
        payload: reading,
      })
    expect((await send()).json()).toMatchObject({ accepted: 1, duplicates: 0 })
    // The same reading again: the stream drops it by its Nats-Msg-Id (VIN and timestamp).
    expect((await send()).json()).toMatchObject({ accepted: 0, duplicates: 1 })

    await until(
      'the reading on the WebSocket',
      async () => ws.messages.some((m) => m.type === 'telemetry' && m.data.vin === unit.vin),
      15_000,
    )
    const stored = await until(
      'the reading stored',
      async () => {
        const res = await app.inject({
          method: 'GET',
          url: `/api/vehicles/${unit.vin}/telemetry?bucket=raw&from=${new Date(Date.now() - 3_600_000).toISOString()}`,
          headers: { authorization: `Bearer ${oem}` },
        })
        const rows = res.json() as { timestamp: string }[]
        return rows.length > 0 && rows
      },
      15_000,
    )
    // Sent twice, stored once.
    expect(stored.map((r) => r.timestamp)).toEqual([reading.timestamp])
    const cluster = (await healthDetails(app)).json().components.cluster
    expect(cluster).toMatchObject({ role: 'all', partitionCount: 4, connection: { status: 'connected' } })
    expect(cluster.publisher).toMatchObject({ published: 1, duplicates: 1 })
    // Prometheus shows the same: the four partitions this process holds, with their lag.
    const scrape = async () =>
      (await app.inject({ method: 'GET', url: '/api/metrics', headers: { authorization: `Bearer ${oem}` } }))
        .body
    await until(
      'the partitions in the metrics',
      async () => /^autonoma_partitions_owned 4$/m.test(await scrape()),
      15_000,
    )
    const text = await scrape()
    for (let p = 0; p < 4; p++) {
      expect(text).toMatch(new RegExp(`^autonoma_partition_owned\\{partition="${p}"\\} 1$`, 'm'))
      expect(text).toMatch(new RegExp(`^autonoma_consumer_lag\\{partition="${p}"\\} \\d+$`, 'm'))
    }
    expect(ws.contractViolations).toEqual([])
    ws.socket.close()
  }, 60_000)
})
