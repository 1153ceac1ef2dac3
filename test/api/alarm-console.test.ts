import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Vehicle } from '../../src/db/schema.js'
import type { Severity } from '../../src/domain.js'
import type { FleetMessage } from '../../src/ingest/messages.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'

describe.each(DB_KINDS)('alarm console API on %s', (kind) => {
  let t: TestApp
  let desk: string
  let oem: string
  let owner: string
  let deskId: string
  let cars: Vehicle[]
  let northId: string
  const heard: FleetMessage[] = []
  const ids: Record<string, string> = {}

  const get = (token: string, url: string, query: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers: bearer(token), query })
  const post = (token: string, url: string, payload?: object) =>
    t.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload ? { payload } : {}) })

  /** An alarm on `car`, detected `hoursAgo` before a fixed instant. */
  const alarm = async (name: string, car: Vehicle, type: string, severity: Severity, hoursAgo: number) => {
    const at = new Date(Date.UTC(2026, 9, 10, 12) - hoursAgo * 3_600_000).toISOString()
    const row = await t.app.services.repos.anomalies.createAnomalyEvent(
      car.id,
      type,
      severity,
      {},
      {
        detectedAt: at,
        reason: `${type} on ${car.vin}`,
      },
    )
    ids[name] = row.id
  }

  beforeAll(async () => {
    t = await createTestApp(kind)
    t.app.services.bus.subscribe((m) => heard.push(m))
    ;[desk, oem, owner] = await Promise.all([
      login(t.app, DEMO.service),
      login(t.app, DEMO.manufacturer),
      login(t.app, DEMO.customer),
    ])
    deskId = (await get(desk, '/api/auth/me')).json().id
    const all = await t.app.services.repos.vehicles.listVisible({ id: deskId, role: 'service' })
    const mine = (await get(owner, '/api/vehicles')).json() as Array<{ vin: string }>
    const ownerVin = mine[0]!.vin
    cars = [all.find((v) => v.vin === ownerVin)!, all.find((v) => v.vin !== ownerVin)!]
    await alarm('oldLow', cars[0]!, 'tyre_pressure', 'Low', 30)
    await alarm('newCritical', cars[0]!, 'battery_overheat', 'Critical', 1)
    await alarm('oldCritical', cars[1]!, 'battery_overheat', 'Critical', 20)
    await alarm('medium', cars[1]!, 'motor_vibration', 'Medium', 5)
    const centres = (await get(desk, '/api/service-centers')).json() as Array<{ id: string }>
    northId = centres[0]!.id
    await t.app.services.repos.bookings.createBooking(cars[1]!.id, '2040-01-01T09:00:00Z', 'CONFIRMED', {
      serviceCenterId: northId,
      anomalyEventId: ids.medium,
    })
  })
  afterAll(() => t?.close())

  it('sorts by severity, worst first and the longest waiting first within a severity', async () => {
    const res = await get(desk, '/api/alarms', { sort: 'severity' })
    expect(res.statusCode).toBe(200)
    const order = (res.json() as Array<{ id: string }>).map((a) => a.id)
    expect(order).toEqual([ids.oldCritical, ids.newCritical, ids.medium, ids.oldLow])
  })

  it('filters by severity, type, vehicle, centre and detection time, and combines them', async () => {
    const pick = async (query: Record<string, string>) =>
      ((await get(desk, '/api/alarms', query)).json() as Array<{ id: string }>).map((a) => a.id).sort()
    expect(await pick({ severity: 'critical,low' })).toEqual(
      [ids.newCritical, ids.oldCritical, ids.oldLow].sort(),
    )
    expect(await pick({ type: 'battery_overheat', vin: cars[1]!.vin })).toEqual([ids.oldCritical])
    expect(await pick({ center_id: northId })).toEqual([ids.medium])
    expect(await pick({ from: '2026-10-10T00:00:00Z', severity: 'Critical' })).toEqual([ids.newCritical])
  })

  it('names a bad filter value in a 400 instead of ignoring it', async () => {
    const res = await get(desk, '/api/alarms', { severity: 'Severe' })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('VALIDATION_FAILED')
    expect(res.body).toContain('Severe'.toLowerCase())
    expect((await get(desk, '/api/alarms', { type: 'x; drop table' })).statusCode).toBe(400)
  })

  it('counts per severity for the same filters, and an owner counts only their own', async () => {
    const res = await get(desk, '/api/alarms/counts', { status: 'OPEN' })
    expect(res.json()).toEqual({ total: 4, by_severity: { Low: 1, Medium: 1, High: 0, Critical: 2 } })
    const theirs = await get(owner, '/api/alarms/counts')
    expect(theirs.json().by_severity).toEqual({ Low: 1, Medium: 0, High: 0, Critical: 1 })
  })

  it('acknowledges with a note, tells staff, and refuses a second acknowledgement', async () => {
    heard.length = 0
    const res = await post(desk, `/api/alarms/${ids.newCritical}/ack`, { note: 'Called the owner, parked' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      status: 'ACKNOWLEDGED',
      acknowledged_note: 'Called the owner, parked',
      acknowledged_by: { id: deskId },
    })
    expect(heard.some((m) => m.type === 'alarm' && (m.data as { id: string }).id === ids.newCritical)).toBe(
      true,
    )
    expect((await post(desk, `/api/alarms/${ids.newCritical}/ack`)).statusCode).toBe(409)
    // Without a body, as before.
    expect((await post(oem, `/api/alarms/${ids.oldLow}/ack`)).statusCode).toBe(200)
  })

  it('assigns to a staff member, takes it back, and refuses an owner as assignee', async () => {
    const res = await post(desk, `/api/alarms/${ids.oldCritical}/assign`, { assignee_id: deskId })
    expect(res.statusCode).toBe(200)
    expect(res.json().assigned_to).toMatchObject({ id: deskId })
    const listed = (await get(oem, '/api/alarms', { vin: cars[1]!.vin })).json() as Array<{
      id: string
      assigned_to: { id: string } | null
    }>
    expect(listed.find((a) => a.id === ids.oldCritical)?.assigned_to?.id).toBe(deskId)
    const ownerId = (await get(owner, '/api/auth/me')).json().id
    const bad = await post(desk, `/api/alarms/${ids.oldCritical}/assign`, { assignee_id: ownerId })
    expect(bad.statusCode).toBe(422)
    expect(bad.json().error.code).toBe('INVALID_REFERENCE')
    expect(
      (await post(owner, `/api/alarms/${ids.oldCritical}/assign`, { assignee_id: null })).statusCode,
    ).toBe(403)
    const back = await post(desk, `/api/alarms/${ids.oldCritical}/assign`, { assignee_id: null })
    expect(back.json().assigned_to).toBeNull()
  })

  it("tells a vehicle's story in order with who did what, service notes included", async () => {
    await t.app.services.repos.anomalies.raiseSeverity(ids.medium!, 'High', undefined, '2026-10-10T08:00:00Z')
    await t.app.services.repos.diagnoses.createDiagnosis(ids.medium!, 'Bearing wear', 0.8, {
      component: 'Motor',
    })
    const booking = (await get(desk, '/api/bookings', { vehicle_id: cars[1]!.id })).json()[0]
    heard.length = 0
    const done = await t.app.inject({
      method: 'PATCH',
      url: `/api/bookings/${booking.id}`,
      headers: bearer(desk),
      payload: { status: 'COMPLETED', notes: 'Replaced the motor mount' },
    })
    expect(done.statusCode).toBe(200)
    expect(done.json()).toMatchObject({ service_notes: 'Replaced the motor mount', status: 'COMPLETED' })
    // The fleet list and the console hear that the alarm closed.
    expect(
      heard.some((m) => m.type === 'alarm' && (m.data as { status: string }).status === 'RESOLVED'),
    ).toBe(true)

    const res = await get(desk, `/api/vehicles/${cars[1]!.vin}/timeline`)
    expect(res.statusCode).toBe(200)
    const story = (
      res.json().entries as Array<{
        kind: string
        alarm_id: string
        note: string | null
        actor: { name: string }
      }>
    ).filter((e) => e.alarm_id === ids.medium)
    const kinds = story.map((e) => e.kind)
    expect(kinds.slice(0, 2)).toEqual(['opened', 'escalated'])
    expect(kinds).toEqual(expect.arrayContaining(['diagnosed', 'booked', 'serviced', 'resolved']))
    expect(kinds.indexOf('booked')).toBeLessThan(kinds.indexOf('serviced'))
    const serviced = story.find((e) => e.kind === 'serviced')!
    expect(serviced.note).toBe('Replaced the motor mount')
    expect(serviced.actor.name).not.toBe('A staff member')
    expect((await get(owner, `/api/vehicles/${cars[1]!.vin}/timeline`)).statusCode).toBe(403)
  })

  it('serves the alarm levels the charts draw, from the rules in force', async () => {
    const res = await get(owner, '/api/rules/thresholds')
    expect(res.statusCode).toBe(200)
    const battery = (res.json() as Array<{ signal: string; threshold: number; critical: number }>).find(
      (r) => r.signal === 'battery_temperature',
    )
    const rule = t.app.services.agents.analyzer.rules.find((r) => r.signal === 'battery_temperature')!
    expect(battery).toMatchObject({ threshold: rule.threshold, critical: rule.critical })
    expect((await t.app.inject({ method: 'GET', url: '/api/rules/thresholds' })).statusCode).toBe(401)
  })

  it('takes notes only with a completion', async () => {
    await alarm('late', cars[0]!, 'brake_wear', 'High', 2)
    const b = await t.app.services.repos.bookings.createBooking(
      cars[0]!.id,
      '2040-02-01T09:00:00Z',
      'PENDING',
      {
        serviceCenterId: northId,
        anomalyEventId: ids.late,
      },
    )
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/bookings/${b.id}`,
      headers: bearer(desk),
      payload: { status: 'CONFIRMED', notes: 'nothing done yet' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('VALIDATION_FAILED')
    const queue = (await get(desk, '/api/bookings', { vehicle_id: cars[0]!.id })).json()
    expect(queue[0]).toMatchObject({ anomaly_severity: 'High', owner_email: DEMO.customer.email })
  })
})
