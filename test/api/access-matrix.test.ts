import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'

const ROLES = ['customer', 'service', 'manufacturer'] as const
type Role = (typeof ROLES)[number]

/**
 * Every route of the OpenAPI document, checked against what it declares: a protected route
 * answers 401 without a token, and a role it does not list gets 403 (access is decided before
 * any parameter or body is even looked at).
 */
describe('access matrix over every documented route', () => {
  let t: TestApp
  const tokens = {} as Record<Role, string>
  let operations: Array<{ method: string; url: string; roles: Role[] | 'any' | 'public' | 'device' }>

  beforeAll(async () => {
    // Monitor mode: walking every route with the wrong role is what gets an account locked
    // (behaviour analytics), and this file checks the access policy underneath, route by route.
    t = await createTestApp('pglite', { UEBA_ENFORCE: 'false' })
    for (const role of ROLES) tokens[role] = await login(t.app, DEMO[role])
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json()
    operations = Object.entries(
      doc.paths as Record<string, Record<string, { security?: unknown; description?: string }>>,
    ).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const url = path
          .replace('{vin}', '5ATVSA1E9SA250101')
          .replace(/\{[a-z_]+\}/g, '00000000-0000-4000-8000-000000000000')
        const listed = /Roles: ([a-z, ]+)\./.exec(op.description ?? '')?.[1]
        const device = /^Device token/m.test(op.description ?? '')
        const roles = !op.security
          ? 'public'
          : device
            ? 'device'
            : listed
              ? (listed.split(', ') as Role[])
              : 'any'
        return { method: method.toUpperCase(), url, roles }
      }),
    )
  })
  afterAll(() => t.close())

  it('documents a good number of routes, each with its access', () => {
    expect(operations.length).toBeGreaterThanOrEqual(23)
    expect(
      operations
        .filter((o) => o.roles === 'public')
        .map((o) => `${o.method} ${o.url}`)
        .sort(),
    ).toEqual(['GET /api/health', 'POST /api/auth/login'])
  })

  it('refuses every protected route without a token, and every role it does not list', async () => {
    for (const op of operations.filter((o) => o.roles !== 'public')) {
      const method = op.method as 'GET'
      const anonymous = await t.app.inject({ method, url: op.url })
      expect(anonymous.statusCode, `${op.method} ${op.url} without a token`).toBe(401)
      if (op.roles === 'any') continue
      if (op.roles === 'device') {
        // A device route takes a device token and nothing else: no user's JWT opens it.
        for (const role of ROLES) {
          const res = await t.app.inject({ method, url: op.url, headers: bearer(tokens[role]) })
          expect(res.statusCode, `${op.method} ${op.url} as ${role}`).toBe(401)
          expect(res.json().error.code).toBe('DEVICE_TOKEN_INVALID')
        }
        continue
      }
      for (const role of ROLES.filter((r) => !(op.roles as Role[]).includes(r))) {
        const res = await t.app.inject({ method, url: op.url, headers: bearer(tokens[role]) })
        expect(res.statusCode, `${op.method} ${op.url} as ${role}`).toBe(403)
        expect(res.json().error.code).toBe('FORBIDDEN')
      }
    }
  })
})
