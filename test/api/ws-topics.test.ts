import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import securityHeaders from '../../src/api/plugins/security-headers.js'
import webRoutes from '../../src/api/web.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { makeReading, step } from '../helpers/readings.js'
import { TestClient } from '../helpers/ws.js'

// Item 7 of issue 18: a page receives only the message types it draws, and what travels is compressed.
describe('only what a page shows travels', () => {
  let t: TestApp
  let base: string
  let oem: string
  let tick = 0
  const ingestFleet = () => {
    const ts = step('2026-10-05T00:00:00Z', tick++)
    for (const v of FLEET_VEHICLES) t.app.services.pipeline.ingest(makeReading(v.vin, ts))
  }
  const drill = () =>
    t.app.inject({
      method: 'POST',
      url: '/api/ueba/drills',
      headers: bearer(oem),
      payload: { scenario: 'engagement_to_rca' },
    })

  beforeAll(async () => {
    t = await createTestApp()
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    base = `ws://127.0.0.1:${address.port}/ws/telemetry`
    oem = await login(t.app, DEMO.manufacturer)
  })
  afterAll(() => t.close())

  it('sends a socket subscribed to topics none of the fleet telemetry, and the rest again after []', async () => {
    const page = await TestClient.connect(`${base}?token=${oem}`)
    await page.waitFor((m) => m.type === 'hello')
    page.send({ type: 'subscribe', topics: ['ueba', 'security', 'alert'] })
    const ack = await page.waitFor((m) => m.type === 'subscribed')
    expect(ack.data).toEqual({ vins: 'all', topics: ['ueba', 'security', 'alert'] })
    for (let i = 0; i < 3; i++) ingestFleet()
    await drill()
    await page.waitFor((m) => m.type === 'security')
    expect(page.of('ueba').length).toBeGreaterThan(0)
    expect(page.of('telemetry')).toEqual([])

    page.send({ type: 'subscribe', topics: [] })
    await vi.waitFor(() => expect(page.of('subscribed')).toHaveLength(2))
    ingestFleet()
    await page.waitFor((m) => m.type === 'telemetry')
    await page.close()
  })

  it('takes the topics on the URL from the first frame, and refuses unknown ones', async () => {
    const page = await TestClient.connect(`${base}?token=${oem}&topics=ueba,security`)
    await page.waitFor((m) => m.type === 'hello')
    ingestFleet()
    await drill()
    await page.waitFor((m) => m.type === 'security')
    expect(page.of('telemetry')).toEqual([])
    await page.close()
    expect(await TestClient.refusal(`${base}?token=${oem}&topics=ueba,everything`)).toBe(400)
    const bad = await TestClient.connect(`${base}?token=${oem}`)
    await bad.waitFor((m) => m.type === 'hello')
    bad.send({ type: 'subscribe', topics: ['gossip'] })
    const err = await bad.waitFor((m) => m.type === 'error')
    expect(err.data.code).toBe('BAD_MESSAGE')
    await bad.close()
  })

  it('compresses API answers for clients that accept it; WebSocket frames stay plain JSON', async () => {
    const list = await t.app.inject({
      url: '/api/failure-rates',
      headers: { ...bearer(oem), 'accept-encoding': 'br, gzip' },
    })
    expect(list.headers['content-encoding']).toBe('br')
    const logs = await t.app.inject({
      url: '/api/ueba/logs?limit=200',
      headers: { ...bearer(oem), 'accept-encoding': 'gzip' },
    })
    expect(logs.headers['content-encoding']).toBe('gzip')
    expect(JSON.parse(gunzipSync(logs.rawPayload).toString()).items).toBeInstanceOf(Array)
    const csv = await t.app.inject({
      url: '/api/insights/export.csv',
      headers: { ...bearer(oem), 'accept-encoding': 'gzip' },
    })
    expect(csv.statusCode).toBe(200)
    // The earlier tests' sockets got parseable JSON text frames (TestClient parses each one).
  })
})

describe('the dashboards bundle', () => {
  const root = mkdtempSync(join(tmpdir(), 'autonoma-web-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('is served compressed, with its year-long cache, behind the same compression as the API', async () => {
    mkdirSync(join(root, 'assets'))
    writeFileSync(join(root, 'index.html'), `<!doctype html><div id="app"></div>${' '.repeat(2000)}`)
    const bundle = `console.log(${JSON.stringify('x'.repeat(50_000))})`
    writeFileSync(join(root, 'assets', 'index-abc123.js'), bundle)
    const app = Fastify()
    // The app's own plugin (helmet and compression), registered before the static files as in app.ts.
    await app.register(securityHeaders)
    await app.register(webRoutes, { root })
    const js = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } })
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-encoding']).toBe('gzip')
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(gunzipSync(js.rawPayload).toString()).toBe(bundle)
    expect(js.rawPayload.length).toBeLessThan(bundle.length / 10)
    const page = await app.inject({ url: '/dashboard/manufacturing', headers: { 'accept-encoding': 'br' } })
    expect(page.headers['content-encoding']).toBe('br')
    await app.close()
  })
})
