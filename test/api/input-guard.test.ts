import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'

/** Control characters and impossible dates are the client's mistake: 400 naming the field. */
describe('bad characters and out-of-range dates', () => {
  let t: TestApp
  let oem: string
  let customer: string
  let userId: string
  const vin = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!.vin

  beforeAll(async () => {
    t = await createTestApp()
    oem = await login(t.app, DEMO.manufacturer)
    customer = await login(t.app, DEMO.customer)
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(oem),
      payload: { email: 'guard@example.com', password: 'a-long-password', role: 'customer' },
    })
    userId = created.json().id
  })
  afterAll(() => t.close())

  const fieldOf = (body: { error: { code: string; details?: { fields?: Array<{ field: string }> } } }) => ({
    code: body.error.code,
    fields: body.error.details?.fields?.map((f) => f.field),
  })

  it.each([
    [
      'POST',
      '/api/users',
      'manufacturer',
      { email: 'nul@example.com', password: 'a-long-password', role: 'customer', name: 'A\u0000B' },
      'body.name',
    ],
    ['PATCH', '/api/users/:user', 'manufacturer', { name: 'bell\u0007' }, 'body.name'],
    ['PATCH', `/api/vehicles/${vin}`, 'manufacturer', { model: 'Model\u0000' }, 'body.model'],
    ['POST', '/api/chat', 'customer', { vin, message: 'hi\u0000' }, 'body.message'],
    [
      'POST',
      '/api/bookings',
      'customer',
      { vin, slot_time: '2030-01-07T09:00:00Z', notes: '\u001b[2J' },
      'body.notes',
    ],
    [
      'POST',
      '/api/vehicles',
      'manufacturer',
      { vin: '1HGCM82633A00435\u0000', owner: DEMO.customer.email, model: 'X' },
      'body.vin',
    ],
  ])('%s %s with a control character is 400 naming %s', async (method, url, who, payload, field) => {
    const res = await t.app.inject({
      method: method as 'POST' | 'PATCH',
      url: url.replace(':user', userId),
      headers: bearer(who === 'customer' ? customer : oem),
      payload,
    })
    expect(res.statusCode).toBe(400)
    expect(fieldOf(res.json())).toEqual({ code: 'VALIDATION_FAILED', fields: [field] })
  })

  it('refuses a control character in a query string or a path, naming it', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/bookings?status=PENDING%00',
      headers: bearer(customer),
    })
    expect(res.statusCode).toBe(400)
    expect(fieldOf(res.json()).fields).toEqual(['querystring.status'])
  })

  it('keeps tabs and newlines, which notes and messages may hold', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/users/${userId}`,
      headers: bearer(oem),
      payload: { name: 'Line one\tand\ntwo' },
    })
    expect(res.statusCode).toBe(200)
  })

  it.each([
    ['POST', '/api/bookings', { vin, slot_time: '9999-12-31T09:00:00Z' }, 'body.slot_time'],
    ['GET', '/api/bookings?from=9999-01-01T00:00:00Z', undefined, 'querystring.from'],
    ['GET', `/api/vehicles/${vin}/history?from=1000-01-01T00:00:00Z`, undefined, 'querystring.from'],
  ])('%s %s with an out-of-range date is 400 naming %s', async (method, url, payload, field) => {
    const res = await t.app.inject({
      method: method as 'GET' | 'POST',
      url,
      headers: bearer(customer),
      payload,
    })
    expect(res.statusCode).toBe(400)
    expect(fieldOf(res.json())).toEqual({ code: 'VALIDATION_FAILED', fields: [field] })
  })
})
