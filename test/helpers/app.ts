import type { FastifyInstance } from 'fastify'
import { type BuildAppOptions, buildApp } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config.js'
import type { DbHandle } from '../../src/db/client.js'
import { seedDemoData } from '../../src/demo.js'
import { createTestDatabase, type DbKind } from './db.js'

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: 'memory://',
    STREAM_ENABLED: 'false',
    JWT_SECRET_KEY: 'test-secret-that-is-long-enough-for-hs256-keys',
    ...env,
  })
}

export interface TestApp {
  app: FastifyInstance
  db: DbHandle
  close(): Promise<void>
}

/** A built (not listening) app over a fresh database seeded with the demo accounts and fleet. */
export async function createTestApp(
  kind: DbKind = 'pglite',
  env: Record<string, string> = {},
  options: Pick<BuildAppOptions, 'runs'> = {},
): Promise<TestApp> {
  const db = await createTestDatabase(kind)
  await seedDemoData(db.db)
  const app = await buildApp({ config: testConfig(env), db, logger: false, ...options })
  await app.ready()
  return {
    app,
    db,
    async close() {
      await app.close()
      await db.close()
    },
  }
}

export const DEMO = {
  customer: { email: 'user@demo.com', password: 'pass123' },
  service: { email: 'service@ey.com', password: 'ey_secure' },
  manufacturer: { email: 'admin@oem.com', password: 'admin_pass' },
} as const

export async function login(app: FastifyInstance, who: { email: string; password: string }): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: who })
  if (res.statusCode !== 200) throw new Error(`login ${who.email} failed: ${res.statusCode} ${res.body}`)
  return res.json().access_token
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

const staffTokens = new WeakMap<FastifyInstance, string>()

/** GET /api/health/details as the manufacturer: the reasons and components are staff-only. */
export async function healthDetails(app: FastifyInstance) {
  let token = staffTokens.get(app)
  if (!token) {
    token = await login(app, DEMO.manufacturer)
    staffTokens.set(app, token)
  }
  return app.inject({ method: 'GET', url: '/api/health/details', headers: bearer(token) })
}

/** A new vehicle of the demo owner, onboarded through the API as the manufacturer, with its device token. */
export async function onboardVehicle(
  app: FastifyInstance,
  manufacturerToken: string,
  vin: string,
  model: string,
): Promise<{ vin: string; id: string; token: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/vehicles',
    headers: bearer(manufacturerToken),
    payload: { vin, owner: DEMO.customer.email, model },
  })
  if (res.statusCode !== 201) throw new Error(`onboarding ${vin}: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return { vin: body.vin, id: body.id, token: body.device_token }
}
