import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeAfterAnalysis, routeAfterEngagement } from '../../src/agents/graph/routers.js'
import type { VehicleState } from '../../src/agents/graph/state.js'
import { buildMasterGraph } from '../../src/agents/master.js'
import { ALLOWED_TRANSITIONS, UebaAgent } from '../../src/agents/ueba/gate.js'
import { SECURITY_MESSAGE } from '../../src/ingest/messages.js'
import { DEFECTIVE_BATCH, FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'
import { TestClient } from '../helpers/ws.js'

describe('UEBA gate (pure)', () => {
  const gate = new UebaAgent({} as never)
  it('allows exactly the transitions of the requirements', () => {
    expect(gate.checkTransition('data_analysis', 'diagnosis')).toBe(true)
    expect(gate.checkTransition('data_analysis', '__end__')).toBe(true)
    expect(gate.checkTransition('diagnosis', 'customer_engagement')).toBe(true)
    expect(gate.checkTransition('customer_engagement', 'scheduling')).toBe(true)
    expect(gate.checkTransition('scheduling', 'rca')).toBe(true)
    expect(gate.checkTransition('rca', '__end__')).toBe(true)
    expect(gate.checkTransition('customer_engagement', 'rca')).toBe(false)
    expect(gate.checkTransition('customer_engagement', 'manufacturing')).toBe(false)
    expect(gate.checkTransition('diagnosis', '__end__')).toBe(false)
    expect(gate.checkTransition('unknown', 'diagnosis')).toBe(false)
    expect(Object.keys(ALLOWED_TRANSITIONS)).toHaveLength(5)
  })

  it('lets only RCA write manufacturing data', () => {
    expect(gate.checkWrite('rca', 'manufacturing_insights')).toBe(true)
    expect(gate.checkWrite('customer_engagement', 'manufacturing_insights')).toBe(false)
  })

  it('routes on anomaly and severity', () => {
    expect(routeAfterAnalysis({ anomaly_detected: true } as VehicleState)).toBe('diagnosis')
    expect(routeAfterAnalysis({ anomaly_detected: false } as VehicleState)).toBe('__end__')
    expect(routeAfterEngagement({ severity: 'Critical' } as VehicleState)).toBe('scheduling')
    expect(routeAfterEngagement({ severity: 'Medium' } as VehicleState)).toBe('__end__')
    // An owner past their notification limit is not offered a booking on top of the held alert.
    expect(routeAfterEngagement({ severity: 'Critical', notify_owner: false } as VehicleState)).toBe(
      '__end__',
    )
  })
})

describe.each(DB_KINDS)('master graph on %s', (kind) => {
  let t: TestApp
  const vehicle = FLEET_VEHICLES.find(
    (v) => v.ownerEmail === DEMO.customer.email && v.batch === DEFECTIVE_BATCH,
  )!
  let vehicleId: string

  async function run(overrides: Partial<VehicleState>, graph = t.app.services.graph) {
    const run_id = randomUUID()
    const final = (await graph.invoke({
      vehicle_id: vehicleId,
      vin: vehicle.vin,
      run_id,
      current_data: makeReading(vehicle.vin, '2026-10-04T10:00:00Z'),
      ...overrides,
    })) as VehicleState
    const logs = await t.db.db
      .selectFrom('ueba_logs')
      .selectAll()
      .where('run_id', '=', run_id)
      .orderBy('timestamp')
      .execute()
    return { final, logs }
  }

  beforeAll(async () => {
    t = await createTestApp(kind)
    vehicleId = (await t.app.services.repos.vehicles.getByVin(vehicle.vin))!.id
  })
  afterAll(() => t.close())

  it('short-circuits to END when there is no anomaly, and logs the transition', async () => {
    const { final, logs } = await run({})
    expect(final.anomaly_detected).toBe(false)
    expect(final.diagnosis_text).toBeNull()
    expect(logs.map((l) => [l.source_node, l.target_node, l.status])).toEqual([
      ['data_analysis', 'END', 'ALLOWED'],
    ])
  })

  it('runs an anomalous reading through diagnosis, engagement, scheduling and RCA, logging every step', async () => {
    const { final, logs } = await run({
      current_data: makeReading(vehicle.vin, '2026-10-04T10:00:00Z', {
        battery_temperature: 58,
        battery_voltage: 280,
      }),
    })
    expect(final.error).toBeNull()
    expect(final.anomaly_detected).toBe(true)
    expect(final.anomaly_type).toBe('battery_thermal')
    expect(final.diagnosis_text).toMatch(/thermal/i)
    expect(final.severity).toBe('Critical')
    expect(final.messages.find((m) => m.node === 'customer_engagement')?.content).toMatch(/^URGENT:/)
    // Every transition, and every read and write through the agents' capability handles.
    expect(logs.map((l) => `${l.action_type} ${l.source_node}->${l.target_node}:${l.status}`)).toEqual([
      'transition data_analysis->diagnosis:ALLOWED',
      'write diagnosis->anomaly_events:ALLOWED',
      'write diagnosis->diagnoses:ALLOWED',
      'transition diagnosis->customer_engagement:ALLOWED',
      'write customer_engagement->chat_messages:ALLOWED',
      'transition customer_engagement->scheduling:ALLOWED',
      'read scheduling->service_bookings:ALLOWED',
      'read scheduling->service_centers:ALLOWED',
      'write scheduling->service_bookings:ALLOWED',
      'write scheduling->chat_messages:ALLOWED',
      'transition scheduling->rca:ALLOWED',
      'write rca->manufacturing_insights:ALLOWED',
      'transition rca->END:ALLOWED',
    ])
    const event = await t.app.services.repos.anomalies.getAnomalyEvent(final.anomaly_event_id!)
    expect(event?.severity).toBe('Critical')
    const diagnoses = await t.app.services.repos.diagnoses.listForEvent(final.anomaly_event_id!)
    expect(diagnoses).toHaveLength(1)
    // The scheduling node wrote a real booking proposal, linked to the episode.
    const booking = await t.app.services.repos.bookings.getBooking(final.booking_id!)
    expect(booking).toMatchObject({ vehicle_id: vehicleId, status: 'PENDING', source: 'agent' })
    expect(booking?.anomaly_event_id).toBe(final.anomaly_event_id)
    const chat = await t.app.services.repos.chat.getMessage(final.chat_message_id!)
    expect(chat?.actions).toContainEqual(
      expect.objectContaining({ type: 'confirm_booking', booking_id: booking!.id }),
    )
  })

  it('ends a Medium (drift) episode after engagement, without a booking', async () => {
    const reading = makeReading(vehicle.vin, '2026-10-04T11:00:00Z', { tire_pressure: 29.1 })
    const signal = {
      signal: 'tire_pressure',
      value: 29.1,
      baseline: 33,
      z: -5,
      score: 0.6,
      kind: 'drift' as const,
    }
    const anomaly = {
      type: 'tire_pressure',
      label: 'Low Tire Pressure',
      component: 'tires',
      severity: 'Medium' as const,
      reason: 'Low Tire Pressure: tire_pressure 29.1 drifting below its baseline 33',
      signals: [signal],
      score: 0.6,
    }
    const { final, logs } = await run({
      current_data: reading,
      analysis: {
        anomaly_detected: true,
        anomalies: [anomaly],
        anomaly_type: 'tire_pressure',
        anomaly_reason: anomaly.reason,
        severity: 'Medium',
        signals: [signal],
        anomaly_score: 0.6,
        rul: null,
        raised: ['tire_pressure'],
        escalated: [],
        cleared: [],
      },
    })
    expect(final.severity).toBe('Medium')
    expect(final.messages.find((m) => m.node === 'customer_engagement')?.content).not.toMatch(/^URGENT/)
    expect(final.booking_id).toBeNull()
    expect(
      logs.filter((l) => l.action_type === 'transition').map((l) => `${l.source_node}->${l.target_node}`),
    ).toEqual(['data_analysis->diagnosis', 'diagnosis->customer_engagement', 'customer_engagement->END'])
  })

  it('blocks a forced customer_engagement -> rca transition, logs it, sets error, and alerts staff', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address() as { port: number }
    const token = await login(t.app, DEMO.manufacturer)
    const ws = await TestClient.connect(`ws://127.0.0.1:${address.port}/ws/telemetry?token=${token}`)
    await ws.waitFor((m) => m.type === 'hello')

    const rogue = buildMasterGraph({
      ...t.app.services.agents,
      routers: { customer_engagement: () => 'rca' },
    })
    const { final, logs } = await run(
      { current_data: makeReading(vehicle.vin, '2026-10-04T12:00:00Z', { motor_vibration: 3.4 }) },
      rogue,
    )
    expect(final.error).toBe(`${SECURITY_MESSAGE}: customer_engagement -> rca`)
    expect(final.insight_id).toBeNull()
    expect(logs.at(-1)).toMatchObject({
      source_node: 'customer_engagement',
      target_node: 'rca',
      status: 'BLOCKED',
    })
    const security = await ws.waitFor((m) => m.type === 'security')
    expect(security.data).toMatchObject({
      message: SECURITY_MESSAGE,
      source: 'customer_engagement',
      target: 'rca',
    })
    expect(security.data.vin).toBe(vehicle.vin)

    // "customer -> manufacturing": the customer-facing agent may not write manufacturing data.
    const write = await t.app.services.agents.ueba.authorizeWrite(
      'customer_engagement',
      'manufacturing_insights',
      {
        vin: vehicle.vin,
      },
    )
    expect(write.allowed).toBe(false)
    expect(write.log.status).toBe('BLOCKED')
    await ws.waitFor((m) => m.type === 'security' && m.data.target === 'manufacturing_insights')
    await ws.close()
  })

  it('writes one insight for the defective batch and grows it with evidence', async () => {
    const batchVehicles = FLEET_VEHICLES.filter((v) => v.batch === DEFECTIVE_BATCH)
    const ids = await Promise.all(
      batchVehicles.map(async (v) => (await t.app.services.repos.vehicles.getByVin(v.vin))!.id),
    )
    for (const [i, id] of ids.entries()) {
      const open = await t.app.services.repos.anomalies.findOpenEpisode(id, 'battery_thermal')
      if (!open)
        await t.app.services.repos.anomalies.createAnomalyEvent(
          id,
          'battery_thermal',
          'High',
          {},
          { detectedAt: step('2026-10-05T00:00:00Z', i) },
        )
    }
    const first = await t.app.services.agents.rca.analyzeFailure({ anomalyType: 'battery_thermal' })
    expect(first.batch).toBe(DEFECTIVE_BATCH)
    expect(first.insight).toMatchObject({ component_name: 'battery', affected_batch: DEFECTIVE_BATCH })
    expect(first.insight?.recommendation).toMatch(/thermal paste/i)
    const again = await t.app.services.agents.rca.analyzeFailure({ anomalyType: 'battery_thermal' })
    expect(again.insight?.id).toBe(first.insight?.id)
    const all = await t.app.services.repos.insights.listInsights({ batch: DEFECTIVE_BATCH })
    expect(all.filter((i) => i.component_name === 'battery')).toHaveLength(1)
    // Tyre trouble spread across batches is not a batch pattern.
    expect(
      (await t.app.services.agents.rca.analyzeFailure({ anomalyType: 'tire_pressure' })).insight,
    ).toBeNull()
  })
})
