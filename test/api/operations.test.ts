import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFECTIVE_BATCH, FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

const own = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!
const foreign = FLEET_VEHICLES.find((v) => v.ownerEmail !== DEMO.customer.email)!
const SQLI = [`' OR 1=1 --`, `"; DROP TABLE users; --`]

describe.each(DB_KINDS)('operations API on %s', (kind) => {
  let t: TestApp
  let customer: string
  let service: string
  let manufacturer: string
  let ownId: string

  const get = (url: string, token?: string) =>
    t.app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} })

  beforeAll(async () => {
    t = await createTestApp(kind)
    ;[customer, service, manufacturer] = await Promise.all([
      login(t.app, DEMO.customer),
      login(t.app, DEMO.service),
      login(t.app, DEMO.manufacturer),
    ])
    ownId = (await t.app.services.repos.vehicles.getByVin(own.vin))!.id
    // 25 episodes on the customer's vehicle, newest last, each with a diagnosis.
    for (let i = 0; i < 25; i++) {
      const ev = await t.app.services.repos.anomalies.createAnomalyEvent(
        ownId,
        `type_${i}`,
        i % 2 ? 'High' : 'Low',
        {},
        {
          detectedAt: step('2026-10-01T00:00:00Z', i),
        },
      )
      await t.app.services.repos.diagnoses.createDiagnosis(ev.id, `Diagnosis ${i}`, 0.8)
      if (i < 20)
        await t.app.services.repos.anomalies.resolveEpisode(
          ev.id,
          step('2026-10-01T01:00:00Z', i),
          'recovered',
        )
    }
  })
  afterAll(() => t.close())

  describe('GET /api/vehicles/{vin}/history', () => {
    it('returns events joined with diagnoses, newest first, and pages without gaps or repeats', async () => {
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const res = await get(
          `/api/vehicles/${own.vin}/history?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
          customer,
        )
        expect(res.statusCode).toBe(200)
        const body = res.json()
        for (const item of body.items) {
          seen.push(item.anomaly_type)
          expect(item.diagnoses[0].diagnosis_text).toBe(`Diagnosis ${item.anomaly_type.slice(5)}`)
        }
        cursor = body.next_cursor
        pages++
      } while (cursor)
      expect(pages).toBe(3)
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `type_${24 - i}`))
    })

    it('filters by status and time range', async () => {
      const open = (await get(`/api/vehicles/${own.vin}/history?status=OPEN`, customer)).json()
      expect(open.items.map((e: { anomaly_type: string }) => e.anomaly_type)).toEqual([
        'type_24',
        'type_23',
        'type_22',
        'type_21',
        'type_20',
      ])
      const ranged = (
        await get(
          `/api/vehicles/${own.vin}/history?from=2026-10-01T01:00:00Z&to=2026-10-01T02:00:00Z`,
          service,
        )
      ).json()
      expect(ranged.items).toHaveLength(4)
    })

    it('gives 404 for an unknown VIN and for another owner’s vehicle, 400 for bad input, 401 without a token', async () => {
      expect((await get(`/api/vehicles/${foreign.vin}/history`, customer)).statusCode).toBe(404)
      expect((await get('/api/vehicles/1HGCM82633A004352/history', customer)).json().error.code).toBe(
        'VEHICLE_NOT_FOUND',
      )
      const bad = await get(`/api/vehicles/${own.vin}/history?status=BROKEN`, customer)
      expect(bad.statusCode).toBe(400)
      expect(bad.json().error.message).toMatch(/status/)
      expect((await get(`/api/vehicles/${own.vin}/history?cursor=garbage`, customer)).statusCode).toBe(400)
      expect((await get(`/api/vehicles/${own.vin}/history`)).statusCode).toBe(401)
      expect((await get(`/api/vehicles/${foreign.vin}/history`, manufacturer)).statusCode).toBe(200)
    })
  })

  describe('alarms', () => {
    it('lists open alarms; customers see only their own; staff acknowledge once', async () => {
      const otherId = (await t.app.services.repos.vehicles.getByVin(foreign.vin))!.id
      const foreignAlarm = await t.app.services.repos.anomalies.createAnomalyEvent(
        otherId,
        'motor_bearing',
        'High',
        {},
      )
      const mine = (await get('/api/alarms?status=OPEN', customer)).json()
      expect(mine.every((a: { vin: string }) => a.vin === own.vin)).toBe(true)
      expect(mine).toHaveLength(5)
      const all = (await get('/api/alarms?status=OPEN', service)).json()
      expect(all.map((a: { id: string }) => a.id)).toContain(foreignAlarm.id)

      const ack = (id: string, token: string) =>
        t.app.inject({ method: 'POST', url: `/api/alarms/${id}/ack`, headers: bearer(token) })
      expect((await ack(foreignAlarm.id, customer)).statusCode).toBe(403)
      const ok = await ack(foreignAlarm.id, service)
      expect(ok.statusCode).toBe(200)
      expect(ok.json()).toMatchObject({ status: 'ACKNOWLEDGED', acknowledged_at: expect.any(String) })
      const again = await ack(foreignAlarm.id, manufacturer)
      expect(again.statusCode).toBe(409)
      expect(again.json().error.code).toBe('INVALID_TRANSITION')
      expect((await ack('00000000-0000-4000-8000-000000000000', service)).statusCode).toBe(404)
      expect((await get('/api/alarms?status=ACKNOWLEDGED', customer)).json()).toEqual([])
    })
  })

  describe('insights', () => {
    it('lists newest first, summarises by component and batch, and exports a CSV that parses back', async () => {
      const a = await t.app.services.repos.insights.createManufacturingInsight(
        'battery',
        'Thermal "runaway", recurring',
        DEFECTIVE_BATCH,
        'Review the paste, then re-test; "quoted", too',
        0.9,
      )
      const b = await t.app.services.repos.insights.createManufacturingInsight(
        'motor',
        'Bearing wear',
        'B-2024-07',
        null,
      )
      await t.db.db
        .updateTable('manufacturing_insights')
        .set({ created_at: new Date('2026-01-01T00:00:00Z') })
        .where('id', '=', a.id)
        .execute()
      const list = (await get('/api/insights', manufacturer)).json()
      expect(list.map((i: { id: string }) => i.id)).toEqual([b.id, a.id])
      expect((await get('/api/insights?batch=B-2024-07', manufacturer)).json()).toHaveLength(1)
      expect((await get('/api/insights', service)).statusCode).toBe(403)

      const csv = await get('/api/insights/export.csv', manufacturer)
      expect(csv.statusCode).toBe(200)
      expect(csv.headers['content-type']).toMatch(/text\/csv/)
      expect(csv.headers['content-disposition']).toMatch(/attachment/)
      const rows = parse(csv.body, { columns: true }) as Record<string, string>[]
      expect(rows.map((r) => r.id)).toEqual([b.id, a.id])
      expect(rows[1]).toMatchObject({
        failure_pattern: 'Thermal "runaway", recurring',
        recommendation: 'Review the paste, then re-test; "quoted", too',
        affected_batch: DEFECTIVE_BATCH,
      })

      const summary = (await get('/api/insights/summary', manufacturer)).json()
      expect(summary.batches).toContain(own.batch)
      expect(summary.counts.find((c: { anomaly_type: string }) => c.anomaly_type === 'type_3')).toMatchObject(
        {
          batch: own.batch,
          events: 1,
          vehicles: 1,
        },
      )
    })
  })

  describe('UEBA log', () => {
    it('is for manufacturers, newest first, filtered and paginated', async () => {
      for (let i = 0; i < 3; i++) {
        await t.app.inject({
          method: 'POST',
          url: '/api/ueba/drills',
          headers: bearer(manufacturer),
          payload: { scenario: 'engagement_to_rca' },
        })
      }
      const blocked = (
        await get('/api/ueba/logs?status=BLOCKED&agent=customer_engagement&limit=2', manufacturer)
      ).json()
      expect(blocked.items).toHaveLength(2)
      expect(blocked.items[0]).toMatchObject({
        status: 'BLOCKED',
        source_node: 'customer_engagement',
        target_node: 'rca',
      })
      const next = (
        await get(
          `/api/ueba/logs?status=BLOCKED&agent=customer_engagement&limit=2&cursor=${blocked.next_cursor}`,
          manufacturer,
        )
      ).json()
      expect(next.items).toHaveLength(1)
      expect((await get('/api/ueba/logs', service)).statusCode).toBe(403)
      expect((await get('/api/ueba/logs', customer)).statusCode).toBe(403)
    })
  })

  it('treats SQL-looking strings in parameters as data', async () => {
    for (const s of SQLI) {
      const q = encodeURIComponent(s)
      for (const [url, token] of [
        [`/api/vehicles/${q}`, customer],
        [`/api/vehicles/${q}/history`, service],
        [`/api/alarms?vin=${q}`, service],
        [`/api/alarms?status=${q}`, service],
        [`/api/insights?component=${q}&batch=${q}`, manufacturer],
        [`/api/ueba/logs?agent=${q}`, manufacturer],
        [`/api/vehicles/${own.vin}/history?cursor=${q}`, customer],
      ] as const) {
        const res = await get(url, token)
        expect(res.statusCode, url).toBeLessThan(500)
        expect([200, 400, 404]).toContain(res.statusCode)
        if (res.statusCode === 200 && url.startsWith('/api/insights')) expect(res.json()).toEqual([])
      }
    }
    expect(await t.app.services.repos.users.countUsers()).toBeGreaterThan(0)
  })

  it('lists vehicles with live health and recent telemetry', async () => {
    for (let i = 0; i < 3; i++)
      t.app.services.pipeline.ingest(makeReading(own.vin, step('2026-10-20T00:00:00Z', i)))
    const vehicles = (await get('/api/vehicles', customer)).json()
    expect(vehicles.every((v: { owner_id: string }) => v.owner_id === vehicles[0].owner_id)).toBe(true)
    const mine = vehicles.find((v: { vin: string }) => v.vin === own.vin)
    expect(mine.health).toMatchObject({ status: 'critical', open_alarms: 5 })
    expect(mine.last_reading_at).toBe('2026-10-20T00:30:00.000Z')
    const telemetry = (await get(`/api/vehicles/${own.vin}/telemetry?limit=2`, customer)).json()
    expect(telemetry.map((r: { timestamp: string }) => r.timestamp)).toEqual([
      '2026-10-20T00:15:00.000Z',
      '2026-10-20T00:30:00.000Z',
    ])
    expect((await get(`/api/vehicles/${foreign.vin}`, customer)).statusCode).toBe(404)
    expect((await get(`/api/vehicles/${foreign.vin}/telemetry`, customer)).statusCode).toBe(404)
  })
})
