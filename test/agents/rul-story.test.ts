import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatRul, type RulEstimate } from '../../src/schemas/rul.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'
import { TestClient } from '../helpers/ws.js'

const pick = (x: Record<string, unknown>): RulEstimate => ({
  rul_days: x.rul_days as number | null,
  rul_low_days: x.rul_low_days as number | null,
  rul_high_days: x.rul_high_days as number | null,
  rul_method: x.rul_method as RulEstimate['rul_method'],
  rul_limit: x.rul_limit as number | null,
})

/**
 * One episode, one remaining-useful-life story: the alarm row holds the estimate, re-made when the
 * episode escalates, and the alert, the alarm API, the vehicle's health card and the agent's chat
 * reply all show the same numbers.
 */
describe.each(DB_KINDS)('the RUL of one episode on every surface (%s)', (kind) => {
  let t: TestApp
  let owner: TestClient
  let token: string
  const vehicle = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!
  const START = '2026-10-10T00:00:00Z'
  let i = 0
  const feed = (battery_temperature: number) =>
    t.app.services.pipeline.ingest(makeReading(vehicle.vin, step(START, i++), { battery_temperature }))

  beforeAll(async () => {
    t = await createTestApp(kind)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as { port: number }
    token = await login(t.app, DEMO.customer)
    owner = await TestClient.connect(`ws://127.0.0.1:${port}/ws/telemetry?token=${token}`)
    await owner.waitFor((m) => m.type === 'hello')
  })
  afterAll(async () => {
    await owner.close()
    await t.close()
  })

  /** Every surface's estimate for the vehicle's one open alarm, and the latest alert's. */
  async function surfaces() {
    await t.app.services.episodes.drain()
    const alarms = (
      await t.app.inject({
        method: 'GET',
        url: `/api/alarms?vin=${vehicle.vin}&status=OPEN`,
        headers: bearer(token),
      })
    ).json() as Record<string, unknown>[]
    expect(alarms).toHaveLength(1)
    const alarm = alarms[0]!
    const v = (
      await t.app.inject({ method: 'GET', url: `/api/vehicles/${vehicle.vin}`, headers: bearer(token) })
    ).json() as { health: Record<string, unknown> }
    const alerts = owner.of('alert')
    const alert = alerts[alerts.length - 1]!.data as Record<string, unknown>
    const reply = (
      await t.app.inject({
        method: 'POST',
        url: '/api/chat',
        headers: bearer(token),
        payload: { vin: vehicle.vin, message: "what's wrong with my car?" },
      })
    ).json() as { reply: { content: string } }
    return { alarm, health: v.health, alert, reply: reply.reply.content }
  }

  it('stores an estimate when the episode opens, re-estimates it on escalation, and says the same everywhere', async () => {
    for (let k = 0; k < 40; k++) feed(30)
    // Heating 4 C an hour: past the 45 C limit, then counting down to the 55 C critical level.
    for (let temp = 31; temp <= 46; temp++) feed(temp)
    const opened = await surfaces()
    const first = pick(opened.alarm)
    expect(opened.alarm.severity).toBe('High')
    expect(first.rul_method).toBe('theil-sen')
    expect(first.rul_limit).toBe(55)
    // 9.5 C to go at 4 C an hour: about 2.4 hours.
    expect(first.rul_days! * 24).toBeGreaterThan(1.5)
    expect(first.rul_days! * 24).toBeLessThan(3.5)
    expect(first.rul_low_days!).toBeLessThan(first.rul_days!)
    expect(first.rul_high_days!).toBeGreaterThan(first.rul_days!)
    expect(opened.alarm.rul_prediction).toBe(first.rul_days)
    expect(pick(opened.health)).toEqual(first)
    expect(opened.health.rul_alarm_id).toBe(opened.alarm.id)
    expect(pick(opened.alert)).toEqual(first)
    expect(opened.alert.rul).toBe(first.rul_days)
    // The owner reads plain words with units; the detector's account stays in `reason`.
    expect(opened.alert.headline).toMatch(/^Battery running hot: \d+ °C, limit 45 °C$/)
    expect(opened.reply).toContain(formatRul(first)!)

    for (let temp = 47; temp <= 57; temp++) feed(temp)
    const escalated = await surfaces()
    const second = pick(escalated.alarm)
    expect(escalated.alarm.severity).toBe('Critical')
    expect(escalated.alarm.id).toBe(opened.alarm.id)
    expect(second).toEqual({
      rul_days: 0,
      rul_low_days: 0,
      rul_high_days: 0,
      rul_method: 'crossed',
      rul_limit: 55,
    })
    expect(pick(escalated.health)).toEqual(second)
    expect(pick(escalated.alert)).toEqual(second)
    expect(escalated.alert.trigger).toBe('escalated')
    expect(escalated.reply).toContain('already past its limit')
    expect(escalated.reply).not.toContain(formatRul(first)!)
  })
})
