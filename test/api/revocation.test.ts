import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'

/** Sessions end at once when their account changes: requests answer 401, WebSockets close 4401. */
describe('revoked sessions', () => {
  let t: TestApp
  let oem: string
  let base: string
  let n = 0

  beforeAll(async () => {
    // No cache: a row deleted behind the service's back is noticed on the next request.
    t = await createTestApp('pglite', { SESSION_CHECK_CACHE_MS: '0' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    base = `ws://127.0.0.1:${address.port}/ws/telemetry`
    oem = await login(t.app, DEMO.manufacturer)
  })
  afterAll(() => t.close())

  async function account(role = 'service') {
    const who = { email: `revoke${n++}@example.com`, password: 'a-long-password' }
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(oem),
      payload: { ...who, role },
    })
    expect(res.statusCode).toBe(201)
    return { id: res.json().id as string, token: await login(t.app, who), ...who }
  }
  const me = (token: string) => t.app.inject({ method: 'GET', url: '/api/alarms', headers: bearer(token) })
  const patch = (id: string, payload: object) =>
    t.app.inject({ method: 'PATCH', url: `/api/users/${id}`, headers: bearer(oem), payload })

  function open(
    token: string,
  ): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${base}?token=${token}`)
      const closed = new Promise<{ code: number; reason: string }>((done) =>
        socket.once('close', (code, reason) => done({ code, reason: reason.toString() })),
      )
      socket.once('open', () => resolve({ socket, closed }))
      socket.once('error', reject)
    })
  }

  it.each([
    ['a role change', { role: 'customer' }],
    ['a password change', { password: 'another-long-password' }],
    ['disabling', { disabled: true }],
  ])('%s revokes the tokens already issued', async (_what, change) => {
    const user = await account()
    expect((await me(user.token)).statusCode).toBe(200)
    expect((await patch(user.id, change)).statusCode).toBe(200)
    const res = await me(user.token)
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('AUTH_TOKEN_REVOKED')
  })

  it('keeps tokens through a harmless change, and refuses a disabled account at sign-in', async () => {
    const user = await account()
    expect((await patch(user.id, { name: 'New Name' })).statusCode).toBe(200)
    expect((await me(user.token)).statusCode).toBe(200)
    const disabled = await patch(user.id, { disabled: true })
    expect(disabled.json().disabled).toBe(true)
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: user.email, password: user.password },
    })
    expect(signIn.statusCode).toBe(403)
    expect(signIn.json().error.code).toBe('ACCOUNT_DISABLED')
    expect((await patch(user.id, { disabled: false })).statusCode).toBe(200)
    expect((await me(await login(t.app, user))).statusCode).toBe(200)
  })

  it("refuses a deleted user's token on every route", async () => {
    const user = await account('customer')
    expect((await me(user.token)).statusCode).toBe(200)
    await sql`delete from users where id = ${user.id}`.execute(t.db.db)
    for (const url of ['/api/alarms', '/api/auth/me', '/api/vehicles', '/api/bookings']) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(user.token) })
      expect(res.statusCode, url).toBe(401)
      expect(res.json().error.code).toBe('AUTH_TOKEN_REVOKED')
    }
  })

  it('closes an open WebSocket with 4401 when the account is disabled', async () => {
    const user = await account()
    const { closed } = await open(user.token)
    await patch(user.id, { disabled: true })
    expect(await closed).toEqual({ code: 4401, reason: 'session revoked' })
  })

  it('closes a WebSocket with 4401 on its next message once the user is gone', async () => {
    const user = await account()
    const { socket, closed } = await open(user.token)
    await sql`delete from users where id = ${user.id}`.execute(t.db.db)
    socket.send(JSON.stringify({ type: 'ping' }))
    expect(await closed).toEqual({ code: 4401, reason: 'session revoked' })
  })
})

describe('expiring sessions', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp('pglite', { JWT_EXPIRES_IN: '2' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => t.close())

  it('closes a WebSocket with 4401 when its token expires', async () => {
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    const token = await login(t.app, DEMO.service)
    const socket = new WebSocket(`ws://127.0.0.1:${address.port}/ws/telemetry?token=${token}`)
    const closed = await new Promise<{ code: number; reason: string }>((done) =>
      socket.once('close', (code, reason) => done({ code, reason: reason.toString() })),
    )
    expect(closed).toEqual({ code: 4401, reason: 'token expired' })
  })
})
