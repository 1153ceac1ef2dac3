import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DEFECTIVE_BATCH, FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'

const defective = FLEET_VEHICLES.filter((v) => v.batch === DEFECTIVE_BATCH)
const other = FLEET_VEHICLES.find((v) => v.batch !== DEFECTIVE_BATCH)!

describe.each(DB_KINDS)('manufacturing API on %s', (kind) => {
  let t: TestApp
  let oem: string
  let service: string
  const ids = new Map<string, string>()

  const get = (url: string, token = oem) => t.app.inject({ method: 'GET', url, headers: bearer(token) })
  const patch = (url: string, payload: Record<string, unknown>, token = oem) =>
    t.app.inject({ method: 'PATCH', url, headers: bearer(token), payload })

  /** `hours` rolled-up hours of readings for a vehicle, from `start`: exposure of hours/24 vehicle-days. */
  async function observe(vin: string, start: string, hours: number) {
    const rows = Array.from({ length: hours }, (_, h) => ({
      vehicle_id: ids.get(vin)!,
      bucket: new Date(Date.parse(start) + h * 3_600_000),
      n: 4,
      min_vals: [],
      avg_vals: [],
      max_vals: [],
    }))
    await t.db.db.insertInto('telemetry_hourly').values(rows).execute()
  }
  const episode = (vin: string, type: string, at: string) =>
    t.app.services.repos.anomalies.createAnomalyEvent(ids.get(vin)!, type, 'High', {}, { detectedAt: at })

  beforeAll(async () => {
    t = await createTestApp(kind)
    ;[oem, service] = await Promise.all([login(t.app, DEMO.manufacturer), login(t.app, DEMO.service)])
    for (const v of FLEET_VEHICLES) ids.set(v.vin, (await t.app.services.repos.vehicles.getByVin(v.vin))!.id)
    // Two weeks: the defective batch's 4 vehicles 2 days each per week (16 vehicle-days), one other 1 day.
    for (const week of ['2026-03-02T00:00:00Z', '2026-03-09T00:00:00Z']) {
      for (const v of defective) await observe(v.vin, week, 48)
      await observe(other.vin, week, 24)
    }
    await episode(defective[0]!.vin, 'battery_thermal', '2026-03-02T10:00:00Z')
    await episode(defective[1]!.vin, 'battery_thermal', '2026-03-03T10:00:00Z')
    await episode(defective[1]!.vin, 'battery_degradation', '2026-03-10T10:00:00Z')
    await episode(other.vin, 'motor_bearing', '2026-03-10T12:00:00Z')
    await episode(other.vin, 'data_quality', '2026-03-10T13:00:00Z')
  })
  afterAll(() => t.close())

  it('rates failures per 1,000 vehicle-days over the whole component x batch grid, and per week', async () => {
    const res = await get('/api/failure-rates?period=week')
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.unit).toBe('failures per 1,000 vehicle-days')
    // Every component of the rules table and every batch of the fleet, failures or not.
    expect(body.components).toEqual(['battery', 'brakes', 'motor', 'tires'])
    const batches = [...new Set(FLEET_VEHICLES.map((v) => v.batch))].sort()
    expect(body.batches.map((b: { batch: string }) => b.batch)).toEqual(batches)
    expect(body.cells).toHaveLength(4 * batches.length)
    const cell = (component: string, batch: string) =>
      body.cells.find(
        (c: { component: string; batch: string }) => c.component === component && c.batch === batch,
      )
    // 3 battery episodes over 16 vehicle-days: 187.5 per 1,000; the data-quality alarm is no failure.
    expect(cell('battery', DEFECTIVE_BATCH)).toMatchObject({ events: 3, vehicle_days: 16, rate: 187.5 })
    expect(cell('motor', other.batch)).toMatchObject({ events: 1, vehicle_days: 2, rate: 500 })
    expect(cell('tires', DEFECTIVE_BATCH)).toMatchObject({ events: 0, rate: 0 })
    // A batch nobody observed has no rate, rather than a rate of zero.
    const unseen = batches.find((b) => b !== DEFECTIVE_BATCH && b !== other.batch)!
    expect(cell('battery', unseen)).toMatchObject({ vehicle_days: 0, rate: null })

    const series = body.series.filter(
      (s: { component: string; batch: string }) => s.component === 'battery' && s.batch === DEFECTIVE_BATCH,
    )
    expect(series.map((s: { period: string; rate: number }) => [s.period, s.rate])).toEqual([
      ['2026-03-02', 250],
      ['2026-03-09', 125],
    ])
    const daily = (
      await get(`/api/failure-rates?period=day&component=battery&batch=${DEFECTIVE_BATCH}`)
    ).json()
    expect(daily.series.every((s: { component: string }) => s.component === 'battery')).toBe(true)
    expect(daily.series.find((s: { period: string }) => s.period === '2026-03-02')).toMatchObject({
      events: 1,
      vehicle_days: 4,
      rate: 250,
    })
    const window = (await get('/api/failure-rates?from=2026-03-09T00:00:00Z')).json()
    expect(
      window.cells.find(
        (c: { component: string; batch: string }) => c.component === 'battery' && c.batch === DEFECTIVE_BATCH,
      ),
    ).toMatchObject({ events: 1, vehicle_days: 8 })
  })

  it('lists the affected VINs of a cell, and refuses bad input and other roles', async () => {
    const res = await get(`/api/failure-rates/vehicles?component=battery&batch=${DEFECTIVE_BATCH}`)
    expect(res.statusCode).toBe(200)
    const rows = res.json()
    expect(
      rows.map((r: { vin: string; anomaly_type: string }) => `${r.vin} ${r.anomaly_type}`).sort(),
    ).toEqual(
      [
        `${defective[0]!.vin} battery_thermal`,
        `${defective[1]!.vin} battery_degradation`,
        `${defective[1]!.vin} battery_thermal`,
      ].sort(),
    )
    expect(rows[0]).toMatchObject({ component: 'battery', batch: DEFECTIVE_BATCH, open: true })
    expect((await get('/api/failure-rates/vehicles?component=tires')).json()).toEqual([])
    const bad = await get('/api/failure-rates?period=year')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('VALIDATION_FAILED')
    expect((await get('/api/failure-rates?from=yesterday')).statusCode).toBe(400)
    expect((await get('/api/failure-rates', service)).statusCode).toBe(403)
    expect((await get('/api/failure-rates/vehicles', service)).statusCode).toBe(403)
  })

  it('moves an insight through its workflow with notes: who, when, audited; bad steps are 4xx', async () => {
    const insight = await t.app.services.repos.insights.createManufacturingInsight(
      'battery',
      'Thermal runaway',
      DEFECTIVE_BATCH,
      'Check the paste',
    )
    expect((await get(`/api/insights/${insight.id}`)).json()).toMatchObject({ status: 'new', notes: [] })
    const moved = await patch(`/api/insights/${insight.id}`, {
      status: 'investigating',
      note: 'Pulled two packs from B-2025-01',
    })
    expect(moved.statusCode).toBe(200)
    expect(moved.json()).toMatchObject({
      status: 'investigating',
      status_changed_at: expect.any(String),
      notes: [
        {
          from_status: 'new',
          to_status: 'investigating',
          note: 'Pulled two packs from B-2025-01',
          user_name: expect.any(String),
        },
      ],
    })
    // A note alone keeps the status; a status kept without a note says what is missing.
    const noted = await patch(`/api/insights/${insight.id}`, { status: 'investigating', note: 'Paste thin' })
    expect(noted.json().notes).toHaveLength(2)
    const empty = await patch(`/api/insights/${insight.id}`, { status: 'investigating' })
    expect(empty.statusCode).toBe(400)
    expect(empty.json().error.code).toBe('VALIDATION_FAILED')
    expect((await patch(`/api/insights/${insight.id}`, { status: 'done' })).statusCode).toBe(400)
    expect((await patch(`/api/insights/${insight.id}`, { status: 'closed', extra: 1 })).statusCode).toBe(400)
    expect(
      (await patch('/api/insights/00000000-0000-4000-8000-000000000000', { status: 'closed' })).statusCode,
    ).toBe(404)
    expect((await patch(`/api/insights/${insight.id}`, { status: 'closed' }, service)).statusCode).toBe(403)
    await patch(`/api/insights/${insight.id}`, { status: 'action_taken', note: 'Paste spec changed' })
    expect((await get('/api/insights?status=action_taken')).json().map((i: { id: string }) => i.id)).toEqual([
      insight.id,
    ])
    expect((await get('/api/insights?status=new')).json()).toEqual([])

    // In the hash-chained audit log, as an action of that manufacturer.
    await vi.waitFor(async () => {
      await t.app.services.agents.ueba.flush()
      const logs = (await get('/api/ueba/logs?action=admin_action&limit=50')).json()
      const changes = logs.items.filter(
        (l: { target_node: string }) => l.target_node === 'PATCH /api/insights/:id',
      )
      expect(changes.length).toBeGreaterThanOrEqual(3)
    })
  })

  it('exports every insight, or the filter it names, in flat columns without JSON', async () => {
    await t.app.services.repos.rca.upsertInsight({
      component: 'motor',
      pattern: 'Bearing wear',
      batch: 'B-2024-07',
      recommendation: '=HYPERLINK("x")',
      confidence: 0.8,
      events: 4,
      evidence: {
        batch_vehicles: 2,
        p_value: 0.04,
        by_batch: [{ batch: 'B-2024-07', vehicles: 2, events: 4 }],
      },
    })
    const all = await get('/api/insights/export.csv')
    expect(all.headers['x-export-filter']).toBe('all')
    expect(all.headers['content-disposition']).toMatch(/autonoma-insights-all-\d{4}-\d\d-\d\d\.csv/)
    const rows = parse(all.body, { columns: true }) as Record<string, string>[]
    expect(rows).toHaveLength(2)
    for (const row of rows) for (const value of Object.values(row)) expect(value).not.toMatch(/^[[{]/)
    const motor = rows.find((r) => r.component_name === 'motor')!
    expect(motor).toMatchObject({
      status: 'new',
      evidence_batch_vehicles: '2',
      evidence_p_value: '0.04',
      evidence_by_batch: expect.stringMatching(
        /^batch B-2024-07, (vehicles 2, events 4|events 4, vehicles 2)$/,
      ),
      recommendation: `'=HYPERLINK("x")`,
    })
    const battery = rows.find((r) => r.component_name === 'battery')!
    expect(battery).toMatchObject({ status: 'action_taken', last_note: 'Paste spec changed' })
    expect(battery.last_note_by).not.toBe('')

    const filtered = await get(`/api/insights/export.csv?batch=${DEFECTIVE_BATCH}`)
    expect(filtered.headers['x-export-filter']).toBe(`batch-${DEFECTIVE_BATCH}`)
    expect(filtered.headers['content-disposition']).toContain(`autonoma-insights-batch-${DEFECTIVE_BATCH}-`)
    expect(parse(filtered.body, { columns: true })).toHaveLength(1)
  })

  it('filters the UEBA log by action and by drill or real; a drill names no vehicle and is marked', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/ueba/drills',
      headers: bearer(oem),
      payload: { scenario: 'engagement_writes_manufacturing' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().log).toMatchObject({ status: 'BLOCKED', drill: true, vin: null })
    // A drill on a real customer's car is refused, not silently logged against it.
    const onVin = await t.app.inject({
      method: 'POST',
      url: '/api/ueba/drills',
      headers: bearer(oem),
      payload: { scenario: 'engagement_to_rca', vin: defective[0]!.vin },
    })
    expect(onVin.statusCode).toBe(400)

    const drills = (await get('/api/ueba/logs?drill=true')).json().items
    expect(drills.length).toBeGreaterThan(0)
    expect(drills.every((l: { drill: boolean; vin: string | null }) => l.drill && l.vin === null)).toBe(true)
    const real = (await get('/api/ueba/logs?drill=false&limit=200')).json().items
    expect(real.length).toBeGreaterThan(0)
    expect(real.some((l: { drill: boolean }) => l.drill)).toBe(false)
    const writes = (await get('/api/ueba/logs?action=write&status=BLOCKED')).json().items
    expect(writes.map((l: { target_node: string }) => l.target_node)).toContain('manufacturing_insights')
    expect(writes.every((l: { action_type: string }) => l.action_type === 'write')).toBe(true)
    expect((await get('/api/ueba/logs?drill=maybe')).statusCode).toBe(400)
  })
})
