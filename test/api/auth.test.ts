import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, createTestApp, DEMO, login, type TestApp, testConfig } from '../helpers/app.js'

const config = testConfig()
const key = new TextEncoder().encode(config.jwt.secret)

function claims(role = 'manufacturer') {
  return new SignJWT({ role, email: 'admin@oem.com' })
    .setSubject('00000000-0000-4000-8000-000000000000')
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setIssuedAt()
}

describe('auth', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(() => t.close())

  it('logs in with valid credentials and /api/auth/me accepts the token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: DEMO.customer })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.token_type).toBe('bearer')
    expect(body.expires_in).toBe(86400)
    expect(body.user).toMatchObject({ email: 'user@demo.com', role: 'customer' })
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(body.access_token) })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({ id: body.user.id, email: 'user@demo.com', role: 'customer' })
  })

  it('puts sub, role, email, iat, exp, iss and aud in the token', async () => {
    const token = await login(t.app, DEMO.service)
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
    expect(Object.keys(payload).sort()).toEqual(['aud', 'email', 'exp', 'iat', 'iss', 'role', 'sub', 'ver'])
    expect(payload.role).toBe('service')
    expect(payload.exp - payload.iat).toBe(86400)
  })

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'user@demo.com', password: 'nope' },
    })
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'nobody@demo.com', password: 'nope' },
    })
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(wrong.body).toBe(unknown.body)
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS')
  })

  it('rejects a malformed body with 400 naming the field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'user@demo.com' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('VALIDATION_FAILED')
    expect(JSON.stringify(res.json().error.details)).toContain('password')
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    })
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json().error.code).toBe('BAD_REQUEST')
  })

  it('accepts the OAuth2 password form', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=password&username=admin%40oem.com&password=admin_pass',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().user.role).toBe('manufacturer')
  })

  describe('a manufacturer-only route', () => {
    const url = '/api/insights'

    it('gives 401 without a token, 403 to a customer, 200 to the manufacturer', async () => {
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401)
      const customer = await login(t.app, DEMO.customer)
      const forbidden = await t.app.inject({ method: 'GET', url, headers: bearer(customer) })
      expect(forbidden.statusCode).toBe(403)
      expect(forbidden.json().error.code).toBe('FORBIDDEN')
      const manufacturer = await login(t.app, DEMO.manufacturer)
      expect((await t.app.inject({ method: 'GET', url, headers: bearer(manufacturer) })).statusCode).toBe(200)
    })

    it('rejects expired, tampered, other-key and alg:none tokens with 401', async () => {
      const expired = await claims()
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(key)
      const otherKey = await claims()
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-another-secret-another'))
      const valid = await login(t.app, DEMO.manufacturer)
      const [h, p, s] = valid.split('.')
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString())
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, role: 'manufacturer', email: 'x@y.z' })).toString('base64url')}.${s}`
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`
      const hs512 = await claims().setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1h').sign(key)

      const codes: Record<string, string> = {}
      for (const [name, token] of Object.entries({
        expired,
        otherKey,
        tampered,
        none,
        hs512,
        garbage: 'abc',
      })) {
        const res = await t.app.inject({ method: 'GET', url, headers: bearer(token) })
        expect(res.statusCode, name).toBe(401)
        codes[name] = res.json().error.code
      }
      expect(codes.expired).toBe('AUTH_TOKEN_EXPIRED')
      expect(codes.none).toBe('AUTH_TOKEN_INVALID')
    })
  })
})

describe('refused requests', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(() => t.close())

  it('records a user reaching beyond their role in the UEBA log', async () => {
    const customer = await login(t.app, DEMO.customer)
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/ueba/logs', headers: bearer(customer) })).statusCode,
    ).toBe(403)
    const manufacturer = await login(t.app, DEMO.manufacturer)
    const logs = await vi.waitFor(async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/ueba/logs?status=BLOCKED&agent=customer',
        headers: bearer(manufacturer),
      })
      const items = res.json().items
      expect(items.length).toBeGreaterThan(0)
      return items
    })
    expect(logs[0]).toMatchObject({
      action_type: 'api_request',
      target_node: 'GET /api/ueba/logs',
      status: 'BLOCKED',
    })
  })
})
