import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'

describe('throttled sign-ins and device tokens', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp('pglite', {
      AUTH_MAX_FAILURES_PER_ADDRESS: '8',
      MQTT_PORT: '0',
      MQTT_HOST: '127.0.0.1',
    })
  })
  afterAll(() => t.close())

  const attempt = (email: string, password: string, remoteAddress = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress })

  it('answers 429 with Retry-After once an account has had 5 wrong passwords, even to the right one', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await attempt(DEMO.service.email, 'wrong-password', `10.1.0.${i}`)
      expect(res.statusCode).toBe(401)
    }
    const locked = await attempt(DEMO.service.email, DEMO.service.password, '10.1.0.99')
    expect(locked.statusCode).toBe(429)
    expect(locked.json().error.code).toBe('AUTH_THROTTLED')
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    // Another account from the same addresses is not affected.
    expect((await attempt(DEMO.manufacturer.email, DEMO.manufacturer.password, '10.1.0.1')).statusCode).toBe(
      200,
    )
  })

  it('counts one address across accounts', async () => {
    for (let i = 0; i < 9; i++) await attempt(`nobody${i}@example.com`, 'x', '10.2.0.1')
    const res = await attempt(DEMO.customer.email, DEMO.customer.password, '10.2.0.1')
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBeDefined()
    expect((await attempt(DEMO.customer.email, DEMO.customer.password, '10.2.0.2')).statusCode).toBe(200)
  })

  it('clears the account after a successful sign-in', async () => {
    const who = { email: 'reset@example.com', password: 'reset-password-1' }
    const oem = await login(t.app, DEMO.manufacturer)
    await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(oem),
      payload: { ...who, role: 'customer' },
    })
    for (let i = 0; i < 4; i++) await attempt(who.email, 'nope', `10.3.0.${i}`)
    expect((await attempt(who.email, who.password, '10.3.0.9')).statusCode).toBe(200)
    for (let i = 0; i < 4; i++) await attempt(who.email, 'nope', `10.3.1.${i}`)
    // Eight failures in all, but never more than four since the last success.
    expect((await attempt(who.email, who.password, '10.3.1.9')).statusCode).toBe(200)
  })

  it('gives bad device tokens the same budget per address on the HTTP intake', async () => {
    const post = (token: string, remoteAddress: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/telemetry',
        headers: { authorization: `Bearer ${token}` },
        payload: [],
        remoteAddress,
      })
    for (let i = 0; i < 9; i++) expect((await post(`dev_${'x'.repeat(43)}`, '10.4.0.1')).statusCode).toBe(401)
    const res = await post(`dev_${'y'.repeat(43)}`, '10.4.0.1')
    expect(res.statusCode).toBe(429)
    expect(res.json().error.code).toBe('AUTH_THROTTLED')
    expect(res.headers['retry-after']).toBeDefined()
    expect((await post(`dev_${'y'.repeat(43)}`, '10.4.0.2')).statusCode).toBe(401)
  })

  it('refuses MQTT CONNECTs with "server unavailable" after too many bad ones, even with the right token', async () => {
    const broker = t.app.services.mqtt!
    await broker.start()
    const url = `mqtt://127.0.0.1:${broker.stats.port}`
    const vin = FLEET_VEHICLES[0]!.vin
    const oem = await login(t.app, DEMO.manufacturer)
    const good = (
      await t.app.inject({ method: 'POST', url: `/api/vehicles/${vin}/credentials`, headers: bearer(oem) })
    ).json().device_token as string
    const connect = (password: string) =>
      new Promise<string>((resolve) => {
        const client = mqtt.connect(url, { username: vin, password, reconnectPeriod: 0 })
        client.once('connect', () => {
          client.end(true)
          resolve('connected')
        })
        client.once('error', (err) => {
          client.end(true)
          resolve(err.message)
        })
      })
    for (let i = 0; i < 6; i++) expect(await connect('dev_wrong')).toMatch(/Bad username or password/i)
    expect(await connect(good)).toMatch(/Server unavailable/i)
  })
})
