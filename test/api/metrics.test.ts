import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  bearer,
  createTestApp,
  DEMO,
  healthDetails,
  login,
  onboardVehicle,
  type TestApp,
} from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'
import { TestClient } from '../helpers/ws.js'

/** The value of one sample of the exposition text (`name{labels} value`); undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = m[2] ? m[2].split(',') : []
    if (wanted.length === have.length && wanted.every((w) => have.includes(w))) return Number(m[3])
  }
  return undefined
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

describe.each(DB_KINDS)('Prometheus metrics on %s', (kind) => {
  let t: TestApp
  let oem = ''
  let staff = ''
  let port = 0
  const prefix = kind === 'pglite' ? 'ZZMETPG' : 'ZZMETSV'
  const START = '2026-11-02T00:00:00Z'

  const scrape = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/metrics', headers: bearer(staff) })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    return res.body
  }
  const send = (token: string, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/telemetry',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    })

  beforeAll(async () => {
    port = await freePort()
    t = await createTestApp(kind, {
      MQTT_ENABLED: 'false',
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
    })
    oem = await login(t.app, DEMO.manufacturer)
    staff = await login(t.app, DEMO.service)
  })
  afterAll(() => t.close())

  it('is for staff only: anonymous callers get 401, owners 403', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/metrics' })).statusCode).toBe(401)
    const customer = await login(t.app, DEMO.customer)
    const refused = await t.app.inject({ method: 'GET', url: '/api/metrics', headers: bearer(customer) })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('FORBIDDEN')
    const manufacturer = await t.app.inject({ method: 'GET', url: '/api/metrics', headers: bearer(oem) })
    expect(manufacturer.statusCode).toBe(200)
    expect(manufacturer.body).toContain('# TYPE autonoma_readings_stored_total counter')
  })

  it('counts readings received, stored, rejected by reason and late as they happen', async () => {
    const car = await onboardVehicle(t.app, oem, `${prefix}0000000001`, 'Metrics EV')
    const before = await scrape()
    const n = 7
    const batch = Array.from({ length: n }, (_, i) => makeReading(car.vin, step(START, i + 10)))
    expect((await send(car.token, batch)).json()).toMatchObject({ accepted: n })
    const future = new Date(Date.now() + 3_600_000).toISOString()
    const bad = [
      makeReading(car.vin, future),
      makeReading('ZZNOTMINE00000000', step(START, 30)),
      // Older than the newest: stored, not analysed.
      makeReading(car.vin, step(START, 2)),
    ]
    expect((await send(car.token, bad)).json()).toMatchObject({ accepted: 1 })
    const after = await scrape()
    const delta = (name: string, labels?: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0)
    expect(delta('autonoma_readings_received_total')).toBe(n + 3)
    expect(delta('autonoma_readings_analysed_total')).toBe(n)
    expect(delta('autonoma_readings_stored_total')).toBe(n + 1)
    expect(delta('autonoma_readings_late_total')).toBe(1)
    expect(delta('autonoma_readings_rejected_total', { reason: 'TIMESTAMP_IN_FUTURE' })).toBe(1)
    expect(delta('autonoma_readings_rejected_total', { reason: 'VIN_MISMATCH' })).toBe(1)
    expect(delta('autonoma_device_requests_total', { transport: 'http' })).toBe(2)
    expect(sample(after, 'autonoma_queue_depth', { queue: 'telemetry_writer' })).toBe(0)
    expect(sample(after, 'autonoma_db_pool_connections', { kind })).toBeGreaterThanOrEqual(1)
    expect(sample(after, 'autonoma_db_pool_max_connections', { kind })).toBe(kind === 'pglite' ? 1 : 10)
  })

  it('times agent runs and the alert latency of an episode, reading in to alert out', async () => {
    const car = await onboardVehicle(t.app, oem, `${prefix}0000000002`, 'Metrics EV')
    const before = await scrape()
    const hot = [0, 1, 2].map((i) => makeReading(car.vin, step(START, i), { battery_temperature: 52 }))
    expect((await send(car.token, hot)).statusCode).toBe(202)
    let after = ''
    await vi.waitFor(
      async () => {
        after = await scrape()
        expect(sample(after, 'autonoma_agent_run_duration_seconds_count', { outcome: 'completed' })).toBe(
          (sample(before, 'autonoma_agent_run_duration_seconds_count', { outcome: 'completed' }) ?? 0) + 1,
        )
      },
      { timeout: 15_000, interval: 200 },
    )
    expect(sample(after, 'autonoma_episodes_total', { event: 'opened' })).toBe(
      (sample(before, 'autonoma_episodes_total', { event: 'opened' }) ?? 0) + 1,
    )
    const severities = ['Low', 'Medium', 'High', 'Critical']
    const total = (text: string, name: string, labels: Record<string, string> = {}) =>
      severities.reduce((sum, severity) => sum + (sample(text, name, { severity, ...labels }) ?? 0), 0)
    expect(total(after, 'autonoma_alert_latency_seconds_count')).toBe(
      total(before, 'autonoma_alert_latency_seconds_count') + 1,
    )
    // It took some time, and less than the histogram's last bucket (a minute).
    expect(total(after, 'autonoma_alert_latency_seconds_sum')).toBeGreaterThan(
      total(before, 'autonoma_alert_latency_seconds_sum'),
    )
    expect(total(after, 'autonoma_alert_latency_seconds_bucket', { le: '60' })).toBe(
      total(before, 'autonoma_alert_latency_seconds_bucket', { le: '60' }) + 1,
    )
  })

  // Last: the app listens from here on.
  it('serves the same families on METRICS_PORT once the app listens, and counts WebSocket clients', async () => {
    // Built but not listening: the port stays closed.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow()
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const res = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    for (const family of [
      'autonoma_readings_received_total',
      'autonoma_readings_rejected_total',
      'autonoma_queue_depth',
      'autonoma_agent_run_duration_seconds',
      'autonoma_alert_latency_seconds',
      'autonoma_websocket_clients',
      'autonoma_db_pool_connections',
      'autonoma_audit_rows_lost_total',
      'autonoma_consumer_lag',
      'process_cpu_user_seconds_total',
    ])
      expect(text, family).toContain(`# TYPE ${family} `)
    expect(sample(text, 'autonoma_readings_stored_total')).toBeGreaterThan(0)
    expect(sample(text, 'autonoma_websocket_clients')).toBe(0)
    const ws = await TestClient.connect(`${address.replace('http', 'ws')}/ws/telemetry?token=${staff}`)
    try {
      const withClient = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      expect(sample(withClient, 'autonoma_websocket_clients')).toBe(1)
    } finally {
      ws.socket.terminate()
    }
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404)
    const details = (await healthDetails(t.app)).json()
    expect(details.components.metrics_endpoint).toMatchObject({ status: 'up', port, scrapes: 2 })
  })
})
