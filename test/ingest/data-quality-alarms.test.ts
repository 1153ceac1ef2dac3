import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATA_QUALITY_ALARM } from '../../src/domain.js'
import type { FleetMessage } from '../../src/ingest/messages.js'
import { bearer, createTestApp, DEMO, healthDetails, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

const START = '2026-05-01T00:00:00.000Z'
/** More than one 15-minute step: a vehicle a step behind the others is not stale. */
const STALE_MINUTES = '40'

describe.each(DB_KINDS)('data-quality alarms on %s', (kind) => {
  let t: TestApp
  let customer = ''
  let service = ''
  let ownerId = ''
  const heard: FleetMessage[] = []
  const prefix = kind === 'pglite' ? 'ZZDAP' : 'ZZDAS'
  const cars: Record<'stuck' | 'stale' | 'bad' | 'fine', { vin: string; id: string }> = {} as never

  const get = (url: string, token: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) })
  /** A healthy, noisy reading (a real sensor never repeats itself for hours). */
  const noisy = (vin: string, i: number, overrides: Record<string, number> = {}) =>
    makeReading(vin, step(START, i), {
      battery_temperature: 30 + Math.sin(i * 1.3) * 0.4,
      battery_voltage: 380 + Math.cos(i * 0.7),
      tire_pressure: 33 + Math.sin(i) * 0.05,
      ...overrides,
    })
  const ingest = (name: keyof typeof cars, i: number, overrides?: Record<string, number>) =>
    expect(t.app.services.pipeline.ingest(noisy(cars[name].vin, i, overrides))).toBe('accepted')
  const dqAlarms = async () =>
    t.db.db
      .selectFrom('anomaly_events')
      .select(['vehicle_id', 'status', 'reason', 'severity'])
      .where('anomaly_type', '=', DATA_QUALITY_ALARM)
      .execute()

  beforeAll(async () => {
    t = await createTestApp(kind, { DATA_QUALITY_STALE_MINUTES: STALE_MINUTES })
    const oem = await login(t.app, DEMO.manufacturer)
    customer = await login(t.app, DEMO.customer)
    service = await login(t.app, DEMO.service)
    ownerId = (await get('/api/auth/me', customer)).json().id
    let n = 0
    for (const name of ['stuck', 'stale', 'bad', 'fine'] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/vehicles',
        headers: bearer(oem),
        payload: {
          vin: `${prefix}${String(n++).padStart(12, '0')}`,
          owner: DEMO.customer.email,
          model: 'DQ EV',
        },
      })
      expect(res.statusCode).toBe(201)
      cars[name] = { vin: res.json().vin, id: res.json().id }
    }
    t.app.services.bus.subscribe((m) => {
      if (m.type !== 'telemetry') heard.push(m)
    })
  })
  afterAll(() => t.close())

  it('raises a staff-only alarm for a stuck, a stale and an implausible vehicle, and tells the owner nothing', async () => {
    for (let i = 0; i < 20; i++)
      for (const name of ['stuck', 'stale', 'bad', 'fine'] as const) ingest(name, i)
    for (let i = 20; i < 40; i++) {
      ingest('stuck', i, { battery_temperature: 31.5 })
      ingest('bad', i, { battery_temperature: 1e9, motor_rpm: -1e7 })
      ingest('fine', i)
      if (i < 30) ingest('stale', i)
    }
    for (let i = 40; i < 44; i++) {
      ingest('stuck', i, { battery_temperature: 31.5 })
      ingest('bad', i, { battery_temperature: 1e9, motor_rpm: -1e7 })
      ingest('fine', i)
    }
    await t.app.services.dataQuality.drain()

    const alarms = await dqAlarms()
    const of = (name: keyof typeof cars) => alarms.filter((a) => a.vehicle_id === cars[name].id)
    expect(of('fine')).toEqual([])
    expect(of('stuck')).toEqual([
      expect.objectContaining({
        status: 'OPEN',
        reason: expect.stringMatching(/^stuck: battery_temperature constant at 31.5 for \d+ readings$/),
      }),
    ])
    expect(of('stale')).toEqual([
      expect.objectContaining({
        status: 'OPEN',
        reason: expect.stringMatching(/^stale: no reading for \d+ min while the fleet reports/),
      }),
    ])
    expect(of('bad')).toEqual([
      expect.objectContaining({
        status: 'OPEN',
        reason: expect.stringMatching(
          /^implausible: \d+ % of the last \d+ readings had a value out of its physical range \(battery_temperature \d+, motor_rpm \d+\)$/,
        ),
      }),
    ])
    // The 1e9 values were no measurement: no battery or motor alarm came of them, nor of anything else.
    const maintenance = await t.db.db
      .selectFrom('anomaly_events')
      .select('anomaly_type')
      .where(
        'vehicle_id',
        'in',
        Object.values(cars).map((c) => c.id),
      )
      .where('anomaly_type', '<>', DATA_QUALITY_ALARM)
      .execute()
    expect(maintenance).toEqual([])

    // Staff see them in the alarms and on the vehicle; the owner sees none of it.
    const staffList = (await get('/api/alarms?status=OPEN', service)).json()
    expect(
      staffList.filter((a: { anomaly_type: string }) => a.anomaly_type === DATA_QUALITY_ALARM),
    ).toHaveLength(3)
    const ownList = (await get('/api/alarms', customer)).json()
    expect(ownList.filter((a: { anomaly_type: string }) => a.anomaly_type === DATA_QUALITY_ALARM)).toEqual([])
    const history = (await get(`/api/vehicles/${cars.bad.vin}/history`, customer)).json()
    expect(history.items).toEqual([])
    const staffView = (await get(`/api/vehicles/${cars.bad.vin}`, service)).json()
    expect(staffView.health).toMatchObject({
      open_alarms: 0,
      data_quality: {
        status: 'degraded',
        issues: [{ kind: 'implausible', detail: expect.any(String) }],
        invalid_values: { battery_temperature: 24, motor_rpm: 24 },
      },
    })
    const ownerView = (await get(`/api/vehicles/${cars.bad.vin}`, customer)).json()
    expect(ownerView.health).toMatchObject({ status: 'ok', open_alarms: 0, data_quality: null })
    const health = (await healthDetails(t.app)).json()
    expect(health.components.data_quality).toMatchObject({ vehicles_with_issues: 3, alarms_opened: 3 })

    const toOwner = heard.filter((m) => m.ownerId === ownerId)
    expect(toOwner).toEqual([])
    const notices = heard.filter((m) => m.type === 'alarm')
    expect(notices).toHaveLength(3)
    for (const m of notices) expect(m).toMatchObject({ ownerId: null, roles: ['service', 'manufacturer'] })
    const chat = await t.db.db
      .selectFrom('chat_messages')
      .select('id')
      .where(
        'vehicle_id',
        'in',
        Object.values(cars).map((c) => c.id),
      )
      .execute()
    expect(chat).toEqual([])
  })

  it('resolves an alarm once the data is good again', async () => {
    ingest('stale', 44)
    for (let i = 44; i < 48; i++) ingest('stuck', i)
    await t.app.services.dataQuality.drain()
    const alarms = await dqAlarms()
    const status = (name: keyof typeof cars) => alarms.find((a) => a.vehicle_id === cars[name].id)?.status
    expect(status('stale')).toBe('RESOLVED')
    expect(status('stuck')).toBe('RESOLVED')
    expect(status('bad')).toBe('OPEN')
    const staffView = (await get(`/api/vehicles/${cars.stuck.vin}`, service)).json()
    expect(staffView.health.data_quality).toMatchObject({ status: 'ok', issues: [], alarm_id: null })
  })
})
