import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { UebaLog } from '../../src/db/schema.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { TestClient } from '../helpers/ws.js'

/** Every kind of security event the issue lists ends up as one row of ueba_logs, and the chain holds. */
describe.each(DB_KINDS)('the audit log records security events on %s', (kind) => {
  let t: TestApp
  let customer: string
  let oem: string
  let ws = ''
  const own = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!
  const other = FLEET_VEHICLES.find((v) => v.ownerEmail !== DEMO.customer.email)!

  /** Rows stored after `since` (a chain position), oldest first, once every recorded event is in. */
  const rowsAfter = async (since: number): Promise<UebaLog[]> => {
    await t.app.services.agents.ueba.flush()
    return t.db.db
      .selectFrom('ueba_logs')
      .selectAll()
      .where('seq', '>', String(since))
      .orderBy('seq')
      .execute()
  }
  const head = async () => {
    await new Promise((r) => setTimeout(r, 20)) // the previous test's last answers are recorded
    await t.app.services.agents.ueba.flush()
    return Number((await t.app.services.repos.ueba.chainHead())?.seq ?? 0)
  }
  /** What happened since `since`, after the answers (the log is written once a response is sent). */
  const recorded = async (since: number, action: string) => {
    for (let i = 0; i < 50; i++) {
      const rows = (await rowsAfter(since)).filter((r) => r.action_type === action)
      if (rows.length > 0) return rows
      await new Promise((r) => setTimeout(r, 20))
    }
    return []
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { MQTT_PORT: '0', MQTT_HOST: '127.0.0.1', DEVICE_RATE_BURST: '1' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    ws = `ws://127.0.0.1:${address.port}/ws/telemetry`
    customer = await login(t.app, DEMO.customer)
    oem = await login(t.app, DEMO.manufacturer)
  })
  afterAll(() => t.close())

  it('failed logins, with the address and the email claimed; sign-ins too', async () => {
    const since = await head()
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: DEMO.customer.email, password: 'wrong' },
      remoteAddress: '203.0.113.7',
    })
    expect(res.statusCode).toBe(401)
    await login(t.app, DEMO.service)
    const rows = await recorded(since, 'login')
    expect(rows.map((r) => [r.status, r.reason])).toEqual([
      ['BLOCKED', 'INVALID_CREDENTIALS'],
      ['ALLOWED', null],
    ])
    expect(rows[0]).toMatchObject({
      actor_kind: 'anonymous',
      actor_id: '203.0.113.7',
      target_node: 'POST /api/auth/login',
      request_id: res.headers['x-request-id'] ?? expect.any(String),
      details: { email: DEMO.customer.email, address: '203.0.113.7', status: 401 },
    })
  })

  it('missing and invalid tokens (401) and a role overstepped (403), by whom', async () => {
    const since = await head()
    expect((await t.app.inject({ url: '/api/vehicles' })).statusCode).toBe(401)
    expect((await t.app.inject({ url: '/api/vehicles', headers: bearer('not-a-jwt') })).statusCode).toBe(401)
    expect((await t.app.inject({ url: '/api/insights', headers: bearer(customer) })).statusCode).toBe(403)
    const rows = await recorded(since, 'api_request')
    expect(rows.map((r) => [r.reason, r.actor_kind, r.target_node])).toEqual([
      ['AUTH_REQUIRED', 'anonymous', 'GET /api/vehicles'],
      ['AUTH_TOKEN_INVALID', 'anonymous', 'GET /api/vehicles'],
      ['FORBIDDEN', 'user', 'GET /api/insights'],
    ])
    expect(rows[2]).toMatchObject({ agent_name: 'customer', status: 'BLOCKED' })
    expect(rows[2]?.user_id).toBe(rows[2]?.actor_id)
  })

  it('a cross-owner 404 probe, and not a 404 for a VIN that does not exist', async () => {
    const since = await head()
    const probe = await t.app.inject({ url: `/api/vehicles/${other.vin}`, headers: bearer(customer) })
    expect(probe.statusCode).toBe(404)
    const typo = await t.app.inject({ url: '/api/vehicles/1HGBH41JXMN109186', headers: bearer(customer) })
    expect(typo.statusCode).toBe(404)
    const rows = await recorded(since, 'api_request')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      reason: 'CROSS_OWNER_PROBE',
      target_node: 'GET /api/vehicles/:vin',
      details: { vin: other.vin, code: 'VEHICLE_NOT_FOUND' },
    })
  })

  it('device-token failures over HTTP (the path token never stored) and throttled devices (429)', async () => {
    const since = await head()
    const bad = 'dev_not-a-real-token-0123456789'
    const header = await t.app.inject({
      method: 'POST',
      url: '/api/v1/telemetry',
      headers: bearer(bad),
      payload: {},
    })
    const path = await t.app.inject({ method: 'POST', url: `/api/v1/${bad}/telemetry`, payload: {} })
    expect([header.statusCode, path.statusCode]).toEqual([401, 401])
    const rows = await recorded(since, 'device_auth')
    expect(rows.map((r) => [r.reason, r.target_node])).toEqual([
      ['DEVICE_TOKEN_INVALID', 'POST /api/v1/telemetry'],
      ['DEVICE_TOKEN_INVALID', 'POST /api/v1/:token/telemetry'],
    ])
    expect(JSON.stringify(rows)).not.toContain(bad)

    const token = (
      await t.app.inject({
        method: 'POST',
        url: `/api/vehicles/${own.vin}/credentials`,
        headers: bearer(oem),
      })
    ).json().device_token as string
    const reading = { timestamp: Date.now(), battery_temperature: 30 }
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/telemetry',
        headers: bearer(token),
        payload: reading,
      })
      statuses.push(r.statusCode)
    }
    expect(statuses).toContain(429)
    const throttled = (await recorded(since, 'device_auth')).filter((r) => r.reason === 'RATE_LIMITED')
    expect(throttled.length).toBe(statuses.filter((s) => s === 429).length)
    expect(throttled[0]).toMatchObject({ actor_kind: 'device', actor_id: own.vin })
  })

  it('MQTT CONNACK refusals', async () => {
    await t.app.services.mqtt!.start()
    const since = await head()
    const client = mqtt.connect(`mqtt://127.0.0.1:${t.app.services.mqtt!.stats.port}`, {
      username: own.vin,
      password: 'dev_wrong',
      reconnectPeriod: 0,
    })
    await new Promise<void>((resolve) => client.once('error', () => resolve()))
    await client.endAsync(true)
    const rows = await recorded(since, 'device_auth')
    expect(rows[0]).toMatchObject({
      status: 'BLOCKED',
      reason: 'CONNACK_4',
      target_node: 'MQTT CONNECT',
      actor_kind: 'anonymous',
      details: { username: own.vin, address: expect.stringContaining('127.0.0.1') },
    })
  })

  it('WebSocket refusals: a bad token at the upgrade, a subscription to another owner’s vehicle', async () => {
    const since = await head()
    expect(await TestClient.refusal(`${ws}?token=not-a-jwt`)).toBe(401)
    const socket = await TestClient.connect(`${ws}?token=${customer}`)
    await socket.waitFor((m) => m.type === 'hello')
    socket.send({ type: 'subscribe', vins: [other.vin] })
    await socket.waitFor((m) => m.type === 'error')
    await socket.close()
    expect((await recorded(since, 'ws_connect'))[0]).toMatchObject({
      reason: 'AUTH_TOKEN_INVALID',
      target_node: 'GET /ws/telemetry',
    })
    expect((await recorded(since, 'ws_subscribe'))[0]).toMatchObject({
      reason: 'VEHICLE_NOT_FOUND',
      actor_kind: 'user',
      details: { vins: [other.vin] },
    })
  })

  it('security drills and admin actions (users, vehicles, credentials), by the manufacturer', async () => {
    const since = await head()
    const drill = await t.app.inject({
      method: 'POST',
      url: '/api/ueba/drills',
      headers: bearer(oem),
      payload: { scenario: 'engagement_to_rca' },
    })
    expect(drill.statusCode).toBe(200)
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(oem),
      payload: { email: 'new.owner@example.com', password: 'a-long-password', role: 'customer', name: 'New' },
    })
    expect(created.statusCode).toBe(201)
    await t.app.inject({ method: 'POST', url: `/api/vehicles/${own.vin}/credentials`, headers: bearer(oem) })
    const blocked = (await rowsAfter(since)).find((r) => r.action_type === 'transition')
    expect(blocked).toMatchObject({
      status: 'BLOCKED',
      actor_kind: 'agent',
      details: { drill: 'engagement_to_rca' },
    })
    const admin = await recorded(since, 'admin_action')
    expect(admin.map((r) => r.target_node)).toEqual([
      'POST /api/ueba/drills',
      'POST /api/users',
      'POST /api/vehicles/:vin/credentials',
    ])
    expect(admin[2]).toMatchObject({
      actor_kind: 'user',
      status: 'ALLOWED',
      details: { params: { vin: own.vin } },
    })
  })

  it('a deleted user’s token: refused at once, and its refusals and everyone else’s are all kept', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(oem),
      payload: { email: 'leaver@example.com', password: 'a-long-password', role: 'customer', name: 'Leaver' },
    })
    const leaver = await login(t.app, { email: 'leaver@example.com', password: 'a-long-password' })
    await t.db.db.deleteFrom('users').where('id', '=', res.json().id).execute()
    // The session check trusts a token's account for a few seconds: the deletion went around the API.
    t.app.services.sessions.revoked(res.json().id)
    const since = await head()
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        t.app.inject({ url: '/api/insights', headers: bearer(i % 2 ? leaver : customer) }),
      ),
    )
    expect(answers.filter((a) => a.statusCode === 401)).toHaveLength(12)
    expect(answers.filter((a) => a.statusCode === 403)).toHaveLength(12)
    await new Promise((r) => setTimeout(r, 50))
    await t.app.services.agents.ueba.flush()
    const rows = await rowsAfter(since)
    expect(rows.filter((r) => r.reason === 'FORBIDDEN')).toHaveLength(12)
    expect(rows.filter((r) => r.reason === 'AUTH_TOKEN_REVOKED')).toHaveLength(12)
    expect(t.app.services.agents.ueba.auditStats.lost).toBe(0)
  })

  it('GET /api/ueba/verify: the chain of everything above holds, for manufacturers only', async () => {
    expect((await t.app.inject({ url: '/api/ueba/verify', headers: bearer(customer) })).statusCode).toBe(403)
    await t.app.services.agents.ueba.flush()
    const res = await t.app.inject({ url: '/api/ueba/verify', headers: bearer(oem) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      ok: true,
      first_broken: null,
      audit: { lost: 0, dropped: 0, spooled: 0, spool: 'memory' },
    })
    expect(res.json().checked).toBeGreaterThan(20)
  })
})
