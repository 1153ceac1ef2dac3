import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoData } from '../../src/demo.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading } from '../helpers/readings.js'

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

describe.each(DB_KINDS)('onboarding and device credentials on %s', (kind) => {
  let t: TestApp
  const tokens = { customer: '', service: '', manufacturer: '' }
  let vinSeq = 0
  /** A fresh valid VIN per call (17 characters, no I, O or Q). */
  const nextVin = () => `ZZNEW${kind === 'pglite' ? 'PG' : 'SV'}${String(vinSeq++).padStart(10, '0')}`
  const call = (token: string, method: 'POST' | 'PATCH' | 'DELETE' | 'GET', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) })
  const newVehicle = (overrides: object = {}) =>
    call(tokens.manufacturer, 'POST', '/api/vehicles', {
      vin: nextVin(),
      owner: DEMO.customer.email,
      model: 'Autonoma Test EV',
      year: 2026,
      batch: 'B-2026-01',
      ...overrides,
    })

  beforeAll(async () => {
    t = await createTestApp(kind)
    for (const role of ['customer', 'service', 'manufacturer'] as const)
      tokens[role] = await login(t.app, DEMO[role])
  })
  afterAll(() => t.close())

  it('creates a user: email lower-cased, password hashed with argon2, never returned; duplicates 409', async () => {
    const res = await call(tokens.manufacturer, 'POST', '/api/users', {
      email: '  New.Owner@Example.COM ',
      password: 'a-long-password',
      role: 'customer',
      name: 'New Owner',
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({ email: 'new.owner@example.com', role: 'customer', name: 'New Owner' })
    expect(JSON.stringify(body)).not.toMatch(/password|argon2/)
    const row = await t.app.services.repos.users.getUserByEmail('new.owner@example.com')
    expect(row?.password_hash).toMatch(/^\$argon2id\$/)
    expect(await login(t.app, { email: 'NEW.OWNER@example.com', password: 'a-long-password' })).toEqual(
      expect.any(String),
    )

    const again = await call(tokens.manufacturer, 'POST', '/api/users', {
      email: 'new.owner@EXAMPLE.com',
      password: 'another-password',
      role: 'service',
    })
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('ALREADY_EXISTS')
  })

  it('changes a user (password re-hashed, email lower-cased); unknown id 404, a taken email 409', async () => {
    const created = (
      await call(tokens.manufacturer, 'POST', '/api/users', {
        email: 'patch.me@example.com',
        password: 'first-password',
        role: 'customer',
      })
    ).json()
    const res = await call(tokens.manufacturer, 'PATCH', `/api/users/${created.id}`, {
      email: 'Patched@Example.com',
      password: 'second-password',
      name: 'Patched',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id: created.id, email: 'patched@example.com', name: 'Patched' })
    expect(JSON.stringify(res.json())).not.toMatch(/password/)
    await login(t.app, { email: 'patched@example.com', password: 'second-password' })
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'patched@example.com', password: 'first-password' },
    })
    expect(old.statusCode).toBe(401)

    const missing = await call(
      tokens.manufacturer,
      'PATCH',
      '/api/users/00000000-0000-4000-8000-000000000000',
      {
        name: 'x',
      },
    )
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('USER_NOT_FOUND')
    const taken = await call(tokens.manufacturer, 'PATCH', `/api/users/${created.id}`, {
      email: DEMO.service.email,
    })
    expect(taken.statusCode).toBe(409)
    expect(taken.json().error.code).toBe('ALREADY_EXISTS')
    const empty = await call(tokens.manufacturer, 'PATCH', `/api/users/${created.id}`, {})
    expect(empty.statusCode).toBe(400)
  })

  it('refuses customers and service on every onboarding route', async () => {
    const vin = FLEET_VEHICLES[0]!.vin
    const routes: Array<['POST' | 'PATCH' | 'DELETE', string]> = [
      ['POST', '/api/users'],
      ['PATCH', '/api/users/00000000-0000-4000-8000-000000000000'],
      ['POST', '/api/vehicles'],
      ['PATCH', `/api/vehicles/${vin}`],
      ['DELETE', `/api/vehicles/${vin}`],
      ['POST', `/api/vehicles/${vin}/credentials`],
    ]
    for (const role of ['customer', 'service'] as const) {
      for (const [method, url] of routes) {
        const res = await call(tokens[role], method, url, { name: 'x' })
        expect(res.statusCode, `${method} ${url} as ${role}`).toBe(403)
        expect(res.json().error.code).toBe('FORBIDDEN')
      }
    }
    expect((await t.app.services.repos.vehicles.getByVin(vin))?.decommissioned_at).toBeNull()
  })

  it('registers a vehicle with a device token shown once and stored only as its SHA-256', async () => {
    const res = await newVehicle({ owner: DEMO.customer.email.toUpperCase(), vehicle_type: 'ICE' })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({ model: 'Autonoma Test EV', vehicle_type: 'ICE', decommissioned_at: null })
    expect(body.device_token).toMatch(/^dev_[A-Za-z0-9_-]{43}$/)
    const me = await t.app.services.repos.users.getUserByEmail(DEMO.customer.email)
    expect(body.owner_id).toBe(me!.id)

    const stored = await t.app.services.repos.devices.getCredential(body.id)
    expect(stored?.token_hash).toBe(sha256(body.device_token))
    // The clear token is nowhere in the database.
    const dump = await sql<{ t: string }>`select row_to_json(d)::text as t from device_credentials d`.execute(
      t.db.db,
    )
    expect(dump.rows.some((r) => r.t.includes(body.device_token))).toBe(false)
    // ...and no later read shows it again.
    const read = await call(tokens.manufacturer, 'GET', `/api/vehicles/${body.vin}`)
    expect(read.json().device_token).toBeUndefined()
    expect(JSON.stringify(read.json())).not.toContain(body.device_token)

    // The pipeline knows the new vehicle at once (no wait for a directory refresh).
    expect(t.app.services.pipeline.vehicleState(body.vin)?.vehicle.id).toBe(body.id)
    expect(await t.app.services.devices.authenticate(body.device_token)).toEqual({
      vehicleId: body.id,
      vin: body.vin,
      ownerId: me!.id,
    })
    // The owner sees it.
    const mine = (await call(tokens.customer, 'GET', '/api/vehicles')).json()
    expect(mine.map((v: { vin: string }) => v.vin)).toContain(body.vin)
  })

  it('takes the owner by id, and refuses duplicates, unknown owners and non-customer owners', async () => {
    const me = await t.app.services.repos.users.getUserByEmail(DEMO.customer.email)
    const byId = await newVehicle({ owner: me!.id })
    expect(byId.statusCode).toBe(201)

    const dup = await newVehicle({ vin: byId.json().vin })
    expect(dup.statusCode).toBe(409)
    expect(dup.json().error.code).toBe('ALREADY_EXISTS')
    for (const owner of ['nobody@example.com', '00000000-0000-4000-8000-000000000000', DEMO.service.email]) {
      const res = await newVehicle({ owner })
      expect(res.statusCode, owner).toBe(422)
      expect(res.json().error).toMatchObject({ code: 'INVALID_REFERENCE', details: { field: 'owner' } })
    }
    const badVin = await newVehicle({ vin: 'IOQ00000000000000' })
    expect(badVin.statusCode).toBe(400)
    expect(badVin.json().error.code).toBe('VALIDATION_FAILED')
  })

  it('changes a vehicle, moving it to another owner in the pipeline too', async () => {
    const created = (await newVehicle()).json()
    const other = (
      await call(tokens.manufacturer, 'POST', '/api/users', {
        email: 'second.owner@example.com',
        password: 'second-owner-pw',
        role: 'customer',
      })
    ).json()
    const res = await call(tokens.manufacturer, 'PATCH', `/api/vehicles/${created.vin.toLowerCase()}`, {
      owner: other.email,
      model: 'Renamed EV',
      batch: null,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      vin: created.vin,
      owner_id: other.id,
      model: 'Renamed EV',
      batch: null,
    })
    expect(t.app.services.pipeline.vehicleState(created.vin)?.vehicle).toMatchObject({
      ownerId: other.id,
      model: 'Renamed EV',
    })
    const missing = await call(tokens.manufacturer, 'PATCH', '/api/vehicles/1HGCM82633A004352', {
      model: 'x',
    })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('VEHICLE_NOT_FOUND')
  })

  it('rotates the device token: the old one stops at once, the new one works', async () => {
    const created = (await newVehicle()).json()
    const old = created.device_token as string
    expect(await t.app.services.devices.authenticate(old)).toBeDefined() // now cached
    const res = await call(tokens.manufacturer, 'POST', `/api/vehicles/${created.vin}/credentials`)
    expect(res.statusCode).toBe(201)
    const fresh = res.json()
    expect(fresh).toMatchObject({ vin: created.vin, issued_at: expect.any(String) })
    expect(fresh.device_token).not.toBe(old)
    expect(await t.app.services.devices.authenticate(old)).toBeUndefined()
    expect((await t.app.services.devices.authenticate(fresh.device_token))?.vin).toBe(created.vin)
    expect((await t.app.services.repos.devices.getCredential(created.id))?.token_hash).toBe(
      sha256(fresh.device_token),
    )
  })

  it('decommissions: history stays, token and pipeline stop, owner no longer lists it, staff see when', async () => {
    const created = (await newVehicle()).json()
    expect(await t.app.services.devices.authenticate(created.device_token)).toBeDefined()
    expect(t.app.services.pipeline.ingest(makeReading(created.vin, '2026-10-01T00:00:00Z'))).toBe('accepted')
    await t.app.services.writer.flush()

    const res = await call(tokens.manufacturer, 'DELETE', `/api/vehicles/${created.vin}`)
    expect(res.statusCode).toBe(200)
    const when = res.json().decommissioned_at
    expect(when).toEqual(expect.any(String))
    // Idempotent: the first time stays.
    const again = await call(tokens.manufacturer, 'DELETE', `/api/vehicles/${created.vin}`)
    expect(again.json().decommissioned_at).toBe(when)

    expect(await t.app.services.devices.authenticate(created.device_token)).toBeUndefined()
    expect(t.app.services.pipeline.vehicleState(created.vin)).toBeUndefined()
    expect(t.app.services.pipeline.ingest(makeReading(created.vin, '2026-10-01T00:15:00Z'))).toBe(
      'unknown_vehicle',
    )
    // A directory reload does not bring it back.
    await t.app.services.pipeline.loadVehicles()
    expect(t.app.services.pipeline.vehicleState(created.vin)).toBeUndefined()

    // The row and its stored history stay.
    const logs = await t.db.db
      .selectFrom('telemetry_logs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('vehicle_id', '=', created.id)
      .executeTakeFirstOrThrow()
    expect(Number(logs.n)).toBe(1)
    const staff = (await call(tokens.service, 'GET', '/api/vehicles')).json()
    expect(staff.find((v: { vin: string }) => v.vin === created.vin)?.decommissioned_at).toBe(when)
    const owner = (await call(tokens.customer, 'GET', '/api/vehicles')).json()
    expect(owner.map((v: { vin: string }) => v.vin)).not.toContain(created.vin)
    // Its page and history stay readable for its owner.
    expect((await call(tokens.customer, 'GET', `/api/vehicles/${created.vin}`)).statusCode).toBe(200)
    expect((await call(tokens.customer, 'GET', `/api/vehicles/${created.vin}/history`)).statusCode).toBe(200)

    // No new credentials or changes for a decommissioned vehicle.
    const rotate = await call(tokens.manufacturer, 'POST', `/api/vehicles/${created.vin}/credentials`)
    expect(rotate.statusCode).toBe(409)
    expect(rotate.json().error.code).toBe('VEHICLE_DECOMMISSIONED')
    const patch = await call(tokens.manufacturer, 'PATCH', `/api/vehicles/${created.vin}`, { model: 'x' })
    expect(patch.json().error.code).toBe('VEHICLE_DECOMMISSIONED')
  })

  it('gives the seeded demo vehicles device tokens, and a vehicle left without one on the next seed', async () => {
    expect(await t.app.services.repos.devices.listActiveWithoutCredential()).toEqual([])
    const first = await t.app.services.repos.vehicles.getByVin(FLEET_VEHICLES[0]!.vin)
    expect((await t.app.services.repos.devices.getCredential(first!.id))?.token_hash).toMatch(
      /^[0-9a-f]{64}$/,
    )
    // A second start issues nothing (the tokens of the first stay valid)...
    expect((await seedDemoData(t.db.db)).deviceTokens).toEqual([])
    // ...except for a vehicle without a credential (a database from before credentials existed).
    await t.db.db.deleteFrom('device_credentials').where('vehicle_id', '=', first!.id).execute()
    const { deviceTokens } = await seedDemoData(t.db.db)
    expect(deviceTokens.map((d) => d.vin)).toEqual([first!.vin])
    expect((await t.app.services.devices.authenticate(deviceTokens[0]!.device_token))?.vin).toBe(first!.vin)
  })
})
