import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FALLBACK_TEXT } from '../../src/agents/episodes/notifier.js'
import { CapabilityDeniedError } from '../../src/agents/graph/capabilities.js'
import type { VehicleState } from '../../src/agents/graph/state.js'
import { buildApp } from '../../src/app.js'
import type { FleetMessage } from '../../src/ingest/messages.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp, testConfig } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const field = (m: FleetMessage, key: string) => (m.data as Record<string, unknown>)[key]
const HOT = { battery_temperature: 58, battery_voltage: 280 }

describe.each(DB_KINDS)('UEBA responses on %s', (kind) => {
  let t: TestApp
  let oem = ''
  const bus: FleetMessage[] = []
  const vehicle = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!
  /** Its episodes go through the pipeline (the graph runs above leave the first vehicle's open). */
  const second = FLEET_VEHICLES.find((v) => v.vin !== vehicle.vin)!
  let vehicleId = ''
  /** The audit rows recorded so far are stored, and analytics has seen them. */
  const settle = async () => {
    await sleep(20)
    await t.app.services.agents.ueba.flush()
  }
  const rows = (where: { run?: string; action?: string }) => {
    let q = t.db.db.selectFrom('ueba_logs').selectAll().orderBy('seq')
    if (where.run) q = q.where('run_id', '=', where.run)
    if (where.action) q = q.where('action_type', '=', where.action)
    return q.execute()
  }
  const release = (id: string) =>
    t.app.inject({ method: 'POST', url: `/api/ueba/entities/${id}/release`, headers: bearer(oem) })
  /** The open episode the first graph run created: later runs continue it. */
  let episodeId: string | null = null
  const runGraph = async () => {
    const run_id = randomUUID()
    const final = (await t.app.services.graph.invoke({
      vehicle_id: vehicleId,
      vin: vehicle.vin,
      run_id,
      current_data: makeReading(vehicle.vin, '2026-10-04T10:00:00Z', HOT),
      anomaly_event_id: episodeId,
    })) as VehicleState
    episodeId = final.anomaly_event_id
    return { final, logs: await rows({ run: run_id }) }
  }

  beforeAll(async () => {
    t = await createTestApp(kind)
    oem = await login(t.app, DEMO.manufacturer)
    vehicleId = (await t.app.services.repos.vehicles.getByVin(vehicle.vin))!.id
    t.app.services.bus.subscribe((m) => void bus.push(m))
  })
  afterAll(() => t.close())

  it('quarantines the scheduling agent that books 50 slots in a minute, against its baseline', async () => {
    const { analytics, capabilities } = { ...t.app.services, ...t.app.services.agents }
    // Its history: one booking a minute around this hour, on each of the last twelve days.
    const now = Date.now()
    for (let d = 12; d >= 1; d--)
      analytics.observe(
        { kind: 'agent', actorId: 'scheduling', label: 'scheduling' },
        {
          t: now - d * 86_400_000,
          action: 'write',
          resource: 'service_bookings',
          status: 'ALLOWED',
          reason: null,
          vin: 'HISTORY',
          runId: null,
        },
      )
    const data = capabilities.for('scheduling', { vehicleId, vin: vehicle.vin, runId: 'burst' })
    const slots = await data.availableSlots(undefined, new Date(), { days: 31, limit: 50 })
    expect(slots.length).toBeGreaterThanOrEqual(12)
    for (const slot of slots.slice(0, 50)) {
      // Each attempt is mediated and logged whether or not the booking service takes it.
      await data
        .book(slot.start, vehicleId, {
          serviceCenterId: slot.service_center_id,
          source: 'agent',
          status: 'PENDING',
        })
        .catch(() => undefined)
    }
    await settle()
    const res = await t.app.inject({ url: '/api/ueba/entities?kind=agent', headers: bearer(oem) })
    expect(res.statusCode).toBe(200)
    const entity = res.json().items.find((e: { id: string }) => e.id === 'agent:scheduling')
    expect(entity).toMatchObject({ state: 'quarantined', band: expect.stringMatching(/High|Critical/) })
    expect(entity.score).toBeGreaterThanOrEqual(70)
    expect(entity.priority).toBeGreaterThanOrEqual(8)
    expect(entity.reasons.map((r: { rule: string }) => r.rule)).toEqual(
      expect.arrayContaining(['burst', 'uncommon_volume']),
    )
    const [response] = await rows({ action: 'ueba_response' })
    expect(response).toMatchObject({
      actor_kind: 'system',
      target_node: 'agent:scheduling',
      status: 'BLOCKED',
      reason: 'QUARANTINED',
    })
    expect(bus.some((m) => m.type === 'security' && field(m, 'action') === 'ueba_response')).toBe(true)
    expect((await release('agent:scheduling')).json()).toMatchObject({ state: 'active', score: 0 })
  })

  it('refuses a capability outside the handle before the database, logs it, and quarantines the agent', async () => {
    const { capabilities } = t.app.services.agents
    const data = capabilities.for('scheduling', { vehicleId, vin: vehicle.vin, runId: 'rogue-read' })
    expect('readTelemetry' in data).toBe(false)
    const series = t.app.services.series
    const raw = series.raw
    let reached = 0
    series.raw = (...args) => {
      reached++
      return raw(...args)
    }
    try {
      await expect(
        data.invoke('readTelemetry', vehicleId, new Date(0), new Date(), 100),
      ).rejects.toBeInstanceOf(CapabilityDeniedError)
      await expect(data.invoke('dropAllTables')).rejects.toThrow(/scheduling may not dropAllTables/)
      expect(reached).toBe(0)
      // The agent whose policy lists telemetry gets it.
      await capabilities.for('data_analysis').readTelemetry(vehicleId, new Date(0), new Date(), 1)
      expect(reached).toBe(1)
    } finally {
      series.raw = raw
    }
    const logs = await rows({ run: 'rogue-read' })
    expect(logs.map((l) => [l.actor_id, l.action_type, l.target_node, l.status, l.reason])).toEqual([
      ['scheduling', 'read', 'telemetry_logs', 'BLOCKED', 'CAPABILITY_DENIED'],
      ['scheduling', 'invoke', 'dropAllTables', 'BLOCKED', 'CAPABILITY_DENIED'],
    ])
    expect(logs[0]!.details).toMatchObject({ operation: 'readTelemetry', vin: vehicle.vin })
    await settle()
    const entity = t.app.services.analytics.get('agent:scheduling')!
    expect(entity.state).toBe('quarantined')
    expect(entity.reasons.map((r) => r.rule)).toContain('telematics_out_of_role')
  })

  it('refuses the quarantined agent’s node: the run ends with an error and a BLOCKED row, the owner gets the fallback', async () => {
    const { final, logs } = await runGraph()
    expect(final.error).toMatch(/scheduling is quarantined/)
    expect(final.booking_id).toBeNull()
    expect(logs.at(-1)).toMatchObject({
      actor_id: 'scheduling',
      action_type: 'run',
      status: 'BLOCKED',
      reason: 'QUARANTINED',
    })
    // Through the pipeline: the episode's run stops at scheduling, staff hear, the owner is not left silent.
    bus.length = 0
    for (let i = 0; i < 20; i++)
      t.app.services.pipeline.ingest(makeReading(second.vin, step('2026-11-01T00:00:00Z', i)))
    t.app.services.pipeline.ingest(makeReading(second.vin, step('2026-11-01T00:00:00Z', 20), HOT))
    await t.app.services.episodes.drain()
    await settle()
    const fallback = bus.find((m) => m.type === 'chat' && field(m, 'content') === FALLBACK_TEXT)
    expect(fallback?.ownerId).toBeTruthy()
    expect(
      bus.some(
        (m) => m.type === 'security' && field(m, 'action') === 'run' && field(m, 'agent') === 'scheduling',
      ),
    ).toBe(true)
  })

  it('restores the agent on release, with the release on record', async () => {
    const res = await release('agent:scheduling')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ state: 'active', released_by: expect.stringMatching(/^user:/) })
    const { final, logs } = await runGraph()
    expect(final.error).toBeNull()
    expect(logs.map((l) => `${l.source_node}->${l.target_node}`)).toContain('scheduling->rca')
    await settle()
    const admin = await rows({ action: 'admin_action' })
    expect(admin.at(-1)).toMatchObject({
      target_node: 'POST /api/ueba/entities/:id/release',
      details: expect.objectContaining({ params: { id: 'agent:scheduling' } }),
    })
    expect((await release('agent:nobody')).statusCode).toBe(404)
    expect((await release('not-an-entity')).json().error.code).toBe('VALIDATION_FAILED')
  })

  it('lists entities for manufacturers only', async () => {
    const customer = await login(t.app, DEMO.customer)
    expect((await t.app.inject({ url: '/api/ueba/entities', headers: bearer(customer) })).statusCode).toBe(
      403,
    )
  })
})

describe('a user stepped up, locked and unlocked; a flooding device throttled', () => {
  let t: TestApp
  let oem = ''
  const settle = async () => {
    await sleep(20)
    await t.app.services.agents.ueba.flush()
  }
  beforeAll(async () => {
    t = await createTestApp('pglite', {
      UEBA_STEP_UP_DELAY_MS: '1',
      DEVICE_RATE_BURST: '1',
      DEVICE_RATE_PER_SECOND: '0.01',
    })
    oem = await login(t.app, DEMO.manufacturer)
  })
  afterAll(() => t.close())

  it('slows a customer probing other owners’ vehicles, then locks them until staff unlock', async () => {
    const token = await login(t.app, DEMO.customer)
    const userId = (await t.app.services.repos.users.getUserByEmail(DEMO.customer.email))!.id
    const others = FLEET_VEHICLES.filter((v) => v.ownerEmail !== DEMO.customer.email)
    expect(others.length).toBeGreaterThanOrEqual(5)
    const probe = (vin: string) => t.app.inject({ url: `/api/vehicles/${vin}`, headers: bearer(token) })
    for (const v of others.slice(0, 3)) expect((await probe(v.vin)).statusCode).toBe(404)
    await settle()
    expect(t.app.services.analytics.get(`user:${userId}`)?.state).toBe('stepped_up')
    // Stepped up is slower, not refused.
    expect((await t.app.inject({ url: '/api/vehicles', headers: bearer(token) })).statusCode).toBe(200)
    for (const v of others.slice(3, 5)) await probe(v.vin)
    await settle()
    const locked = await t.app.inject({ url: '/api/vehicles', headers: bearer(token) })
    expect(locked.statusCode).toBe(403)
    expect(locked.json().error.code).toBe('ACCOUNT_LOCKED')
    const entity = t.app.services.analytics.get(`user:${userId}`)!
    expect(entity).toMatchObject({ state: 'locked', label: 'customer' })
    expect(entity.reasons.map((r) => r.rule)).toContain('vin_enumeration')
    // Nor does signing in again get round it.
    const again = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: DEMO.customer })
    expect(again.statusCode).toBe(403)
    expect(again.json().error.code).toBe('ACCOUNT_LOCKED')
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/ueba/entities/user:${userId}/release`,
      headers: bearer(oem),
    })
    expect(res.json().state).toBe('active')
    expect((await t.app.inject({ url: '/api/vehicles', headers: bearer(token) })).statusCode).toBe(200)
  })

  it('throttles a device that keeps sending past its rate (429 DEVICE_THROTTLED with Retry-After)', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/vehicles',
      headers: bearer(oem),
      payload: { vin: 'ZZFLVD00000000001', owner: DEMO.customer.email, model: 'Flood EV' },
    })
    const { device_token: token, vin } = created.json()
    const { vin: _v, ...reading } = makeReading('X', '2026-03-01T00:00:00Z')
    const send = () =>
      t.app.inject({ method: 'POST', url: '/api/v1/telemetry', headers: bearer(token), payload: reading })
    expect((await send()).statusCode).toBe(202)
    const codes: string[] = []
    for (let i = 0; i < 15; i++) {
      codes.push((await send()).json().error.code)
      await settle()
    }
    expect(codes[0]).toBe('RATE_LIMITED')
    expect(codes.at(-1)).toBe('DEVICE_THROTTLED')
    const last = await send()
    expect(last.statusCode).toBe(429)
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(60)
    expect(t.app.services.analytics.get(`device:${vin}`)).toMatchObject({ state: 'throttled' })
  })
})

describe.each(DB_KINDS)('baselines and responses survive a restart on %s', (kind) => {
  it('keeps the quarantine, the score, the reasons and the baselines', async () => {
    const t = await createTestApp(kind)
    let second: Awaited<ReturnType<typeof buildApp>> | undefined
    try {
      const { analytics, capabilities } = { ...t.app.services, ...t.app.services.agents }
      const who = { kind: 'agent' as const, actorId: 'rca', label: 'rca' }
      const now = Date.now()
      for (let d = 12; d >= 1; d--)
        analytics.observe(who, {
          t: now - d * 86_400_000,
          action: 'write',
          resource: 'manufacturing_insights',
          status: 'ALLOWED',
          reason: null,
          vin: 'HISTORY',
          runId: null,
        })
      await capabilities
        .for('rca', { runId: 'restart' })
        .invoke('book', 'x')
        .catch(() => undefined)
      await capabilities
        .for('rca', { runId: 'restart' })
        .invoke('readTelemetry')
        .catch(() => undefined)
      await t.app.services.agents.ueba.flush()
      const before = analytics.get('agent:rca')!
      expect(before.state).toBe('quarantined')
      await t.app.close()

      second = await buildApp({ config: testConfig(), db: t.db, logger: false })
      await second.ready()
      const after = second.services.analytics
      expect(after.get('agent:rca')).toEqual({ ...before, score: expect.closeTo(before.score, 0) })
      expect(after.isQuarantined('rca')).toBe(true)
      // The baseline came back too: a burst for one vehicle is judged against it.
      after.release('agent:rca', 'test')
      for (let i = 0; i < 8; i++)
        after.observe(who, {
          t: Date.now(),
          action: 'write',
          resource: 'manufacturing_insights',
          status: 'ALLOWED',
          reason: null,
          vin: 'ONE',
          runId: null,
        })
      expect(after.get('agent:rca')?.reasons.map((r) => r.rule)).toContain('uncommon_volume')
    } finally {
      await second?.close()
      await t.db.close()
    }
  })
})
