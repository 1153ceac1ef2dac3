import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceCenter } from '../../src/db/schema.js'
import { DEMO_SERVICE_CENTERS } from '../../src/demo.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'

// Mid-January next year: always ahead, always winter time (Europe/Berlin = UTC+1).
const YEAR = new Date().getUTCFullYear() + 1
const DAY = `${YEAR}-01-15`
const FROM = `${DAY}T00:00:00Z`

describe.each(DB_KINDS)('service centres API on %s', (kind) => {
  let t: TestApp
  let tokens: Record<'customer' | 'service' | 'manufacturer', string>
  let north: ServiceCenter
  let south: ServiceCenter

  const get = (url: string, token?: string, query: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, query, headers: token ? bearer(token) : {} })

  beforeAll(async () => {
    t = await createTestApp(kind)
    tokens = {
      customer: await login(t.app, DEMO.customer),
      service: await login(t.app, DEMO.service),
      manufacturer: await login(t.app, DEMO.manufacturer),
    }
    const centers = await t.app.services.repos.serviceCenters.listCenters()
    north = centers.find((c) => c.name.endsWith('North'))!
    south = centers.find((c) => c.name.endsWith('South'))!
  })
  afterAll(() => t?.close())

  it('is open to every signed-in role and closed to anonymous callers', async () => {
    for (const url of ['/api/service-centers', `/api/service-centers/${randomUUID()}/slots`]) {
      expect((await get(url)).statusCode).toBe(401)
    }
    for (const token of Object.values(tokens)) {
      expect((await get('/api/service-centers', token)).statusCode).toBe(200)
      expect((await get(`/api/service-centers/${north.id}/slots`, token, { from: FROM })).statusCode).toBe(
        200,
      )
    }
  })

  it('lists the centres by name with their hours, slot length and time zone', async () => {
    const res = await get('/api/service-centers', tokens.customer)
    expect(res.json()).toEqual(
      DEMO_SERVICE_CENTERS.map((c) => ({ ...c, id: c.name === north.name ? north.id : south.id })),
    )
  })

  it('returns the free slots of one centre in its own time zone', async () => {
    const res = await get(`/api/service-centers/${north.id}/slots`, tokens.customer, {
      from: FROM,
      days: '1',
    })
    expect(res.statusCode).toBe(200)
    const slots = res.json()
    expect(slots).toHaveLength(10)
    expect(slots[0]).toEqual({
      service_center_id: north.id,
      service_center_name: north.name,
      timezone: north.timezone,
      start: `${DAY}T07:00:00.000Z`,
      end: `${DAY}T08:00:00.000Z`,
      free_bays: 2,
    })
    expect(slots.every((s: { service_center_id: string }) => s.service_center_id === north.id)).toBe(true)
    const week = await get(`/api/service-centers/${south.id}/slots`, tokens.service, { from: FROM })
    expect(week.json()).toHaveLength(7 * 8)
    const few = await get(`/api/service-centers/${south.id}/slots`, tokens.service, {
      from: FROM,
      limit: '3',
    })
    expect(few.json()).toEqual(week.json().slice(0, 3))
  })

  it('counts down free bays as bookings come in', async () => {
    const owner = (await t.app.services.repos.users.getUserByEmail(DEMO.customer.email))!
    const vehicle = await t.app.services.repos.vehicles.createVehicle({
      owner_id: owner.id,
      vin: 'ZZZBKSCTR00000001',
      model: 'Test EV',
    })
    const start = `${DAY}T10:00:00.000Z`
    await t.app.services.scheduling.bookAppointment(start, vehicle.id, { serviceCenterId: north.id })
    const slots = (
      await get(`/api/service-centers/${north.id}/slots`, tokens.service, { from: FROM, days: '1' })
    ).json()
    expect(slots.find((s: { start: string }) => s.start === start)?.free_bays).toBe(1)
  })

  it('answers an unknown centre with 404 and bad parameters with 400 naming the field', async () => {
    const missing = await get(`/api/service-centers/${randomUUID()}/slots`, tokens.customer)
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('SERVICE_CENTER_NOT_FOUND')
    const cases: Array<[string, Record<string, string>, string]> = [
      ['not-a-uuid', {}, 'params.id'],
      [north.id, { days: '32' }, 'querystring.days'],
      [north.id, { days: '0' }, 'querystring.days'],
      [north.id, { from: 'next week' }, 'querystring.from'],
      [north.id, { limit: 'many' }, 'querystring.limit'],
    ]
    for (const [id, query, field] of cases) {
      const res = await get(`/api/service-centers/${id}/slots`, tokens.customer, query)
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED' })
      expect(res.json().error.message).toContain(field)
    }
  })

  it('treats SQL-looking strings as data', async () => {
    for (const s of [`' OR 1=1 --`, `"; DROP TABLE users; --`]) {
      const byId = await get(`/api/service-centers/${encodeURIComponent(s)}/slots`, tokens.customer)
      const byFrom = await get(`/api/service-centers/${north.id}/slots`, tokens.customer, {
        from: s,
        days: s,
      })
      expect(byId.statusCode).toBe(400)
      expect(byFrom.statusCode).toBe(400)
    }
    expect((await get('/api/service-centers', tokens.customer)).json()).toHaveLength(2)
    expect(await t.app.services.repos.users.getUserByEmail(DEMO.customer.email)).toBeDefined()
  })
})
