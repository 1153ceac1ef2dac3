import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import {
  bearer,
  createTestApp,
  DEMO,
  healthDetails,
  login,
  type TestApp,
  testConfig,
} from '../helpers/app.js'
import { createTestDatabase } from '../helpers/db.js'

describe('app shape', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(() => t.close())

  it('tells anyone only up or down, and staff the details', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'up' })
    const details = await healthDetails(t.app)
    expect(details.statusCode).toBe(200)
    expect(details.json()).toMatchObject({
      status: 'ok',
      db: 'up',
      db_kind: 'pglite',
      version: expect.any(String),
    })
    expect((await t.app.inject({ method: 'GET', url: '/api/health/details' })).statusCode).toBe(401)
    const customer = await login(t.app, DEMO.customer)
    const refused = await t.app.inject({
      method: 'GET',
      url: '/api/health/details',
      headers: bearer(customer),
    })
    expect(refused.statusCode).toBe(403)
  })

  it('answers 503 when the database does not answer', async () => {
    const db = await createTestDatabase('pglite')
    const app = await buildApp({ config: testConfig(), db, logger: false })
    await app.ready()
    await db.close()
    const res = await app.inject({ method: 'GET', url: '/api/health' })
    expect(res.statusCode).toBe(503)
    // No database error, name or path for the public: just down.
    expect(res.json()).toEqual({ status: 'down' })
    await app.close()
  })

  it('serves OpenAPI at /docs/json listing every API route, and the UI at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' })
    expect(res.statusCode).toBe(200)
    const doc = res.json()
    expect(doc.openapi).toMatch(/^3\./)
    const documented = new Set(
      Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    )
    for (const route of [
      'POST /api/auth/login',
      'GET /api/auth/me',
      'GET /api/health',
      'GET /api/vehicles',
      'GET /api/vehicles/{vin}',
      'GET /api/bookings',
      'POST /api/bookings',
      'PATCH /api/bookings/{id}',
      'GET /api/service-centers',
      'GET /api/insights',
      'GET /api/ueba/logs',
      'GET /ws/telemetry',
    ]) {
      expect(documented).toContain(route)
    }
    const login = doc.paths['/api/auth/login'].post
    expect(login.security).toBeUndefined()
    expect(doc.paths['/api/insights'].get.security).toEqual([{ bearerAuth: [] }])
    expect((await t.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400)
  })

  it('gives unknown routes a 404 in the error format', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: expect.any(String) } })
  })

  it('refuses to start when a route does not declare who may call it', async () => {
    const db = await createTestDatabase('pglite')
    const app = await buildApp({ config: testConfig(), db, logger: false })
    expect(() => app.get('/api/unguarded', async () => 'hi')).toThrow(/does not declare who may call it/)
    await app.close()
    await db.close()
  })

  it('hides internals in 5xx bodies', async () => {
    const db = await createTestDatabase('pglite')
    const app = await buildApp({ config: testConfig(), db, logger: false })
    app.get('/api/boom', { config: { access: 'public' } }, async () => {
      throw new Error('secret stack detail: password=hunter2')
    })
    const res = await app.inject({ method: 'GET', url: '/api/boom' })
    expect(res.statusCode).toBe(500)
    expect(res.body).not.toContain('hunter2')
    expect(res.json().error.code).toBe('INTERNAL')
    await app.close()
    await db.close()
  })
})
