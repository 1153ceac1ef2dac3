import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { URGENCY_PREFIX } from '../../src/agents/workers/engagement-agent.js'
import { formatRul, rulSentence } from '../../src/schemas/rul.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'
import { TestClient } from '../helpers/ws.js'

type Json = Record<string, unknown>
const RUL_KEYS = ['rul_days', 'rul_low_days', 'rul_high_days', 'rul_method', 'rul_limit'] as const
const rulOf = (x: Json) => Object.fromEntries(RUL_KEYS.map((k) => [k, x[k]]))

/**
 * One episode, one story (issue 17 item 2): opened at High, then escalated to Critical. After each
 * step the alert, the alarm API, the owner's chat, the staff timeline, the vehicle's health and the
 * booking push are read, and every one must tell what the alarm row says: its severity, remaining
 * life, headline and latest diagnosis, and the proposed slot in its centre's zone with the centre.
 */
describe.each(DB_KINDS)('one episode tells one story on every surface (%s)', (kind) => {
  let t: TestApp
  let owner: TestClient
  let token: string
  let staff: string
  const vehicle = FLEET_VEHICLES.find((v) => v.ownerEmail === DEMO.customer.email)!
  const START = '2026-10-10T00:00:00Z'
  let i = 0
  const feed = (battery_temperature: number) =>
    t.app.services.pipeline.ingest(makeReading(vehicle.vin, step(START, i++), { battery_temperature }))
  const get = async (url: string, who = token) =>
    (await t.app.inject({ method: 'GET', url, headers: bearer(who) })).json()

  beforeAll(async () => {
    t = await createTestApp(kind)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as { port: number }
    token = await login(t.app, DEMO.customer)
    staff = await login(t.app, DEMO.service)
    owner = await TestClient.connect(`ws://127.0.0.1:${port}/ws/telemetry?token=${token}`)
    await owner.waitFor((m) => m.type === 'hello')
  })
  afterAll(async () => {
    await owner.close()
    expect(owner.contractViolations).toEqual([])
    await t.close()
  })

  /** Every surface, read after the episode's runs finished; fails on the first disagreement. */
  async function expectOneStory(trigger: 'opened' | 'escalated') {
    await t.app.services.episodes.drain()
    const alarms = (await get(`/api/alarms?vin=${vehicle.vin}&status=OPEN`)) as Json[]
    expect(alarms).toHaveLength(1)
    const alarm = alarms[0]!
    const id = alarm.id as string
    const diagnoses = alarm.diagnoses as Json[]
    expect(alarm.diagnosis).toBe(diagnoses[0]!.diagnosis_text)
    const bookings = alarm.bookings as Json[]
    expect(bookings).toHaveLength(1)
    const slot = bookings[0]!.slot_label as string
    // The centre's zone and the centre's name: "Fri 5 Dec, 09:00 CET (Autonoma Service Hub North)".
    expect(slot).toMatch(/^\w{3} \d{1,2} \w{3}, \d{2}:\d{2} \S+ \(Autonoma Service Hub \w+\)$/)
    expect(bookings[0]!.appointment_label).toBe(slot.replace(/ \(.*\)$/, ''))
    const row: Json = {
      severity: alarm.severity,
      headline: alarm.headline,
      diagnosis: alarm.diagnosis,
      ...rulOf(alarm),
    }

    // The alert of this step, as the owner's dashboard received it.
    const alert = (
      await owner.waitFor(
        (m) => m.type === 'alert' && m.data.anomaly_event_id === id && m.data.trigger === trigger,
      )
    ).data
    expect({
      severity: alert.severity,
      headline: alert.headline,
      diagnosis: alert.diagnosis,
      ...rulOf(alert),
    }).toEqual(row)
    expect(alert.rul).toBe(alarm.rul_days)
    expect(alert.vehicle_model).toBe(vehicle.model)

    // The vehicle's health card: the worst (here the only) open alarm.
    const health = ((await get(`/api/vehicles/${vehicle.vin}`)) as { health: Json }).health
    expect(health.rul_alarm_id).toBe(id)
    expect({
      severity: health.worst_severity,
      headline: health.headline,
      diagnosis: health.diagnosis,
      ...rulOf(health),
    }).toEqual(row)

    // The agent's alert message in the chat: its urgency, diagnosis, estimate and proposal button.
    const prefix = URGENCY_PREFIX[row.severity as 'High']
    const message = (
      await owner.waitFor(
        (m) =>
          m.type === 'chat' &&
          m.data.anomaly_event_id === id &&
          m.data.intent === 'alert' &&
          String(m.data.content).startsWith(prefix),
      )
    ).data as Json & { content: string; actions: Json[] }
    expect(message.content).toContain(row.diagnosis as string)
    expect(message.content).toContain(rulSentence(rulOf(alarm) as never))
    expect(message.content).toContain(`(${vehicle.vin})`)
    const approve = message.actions.find((a) => a.type === 'confirm_booking')!
    expect(approve).toMatchObject({ booking_id: bookings[0]!.id, label: `Approve service on ${slot}` })
    for (const other of message.actions.filter((a) => a.type === 'book_slot'))
      expect(other.label).toMatch(/^\w{3} \d{1,2} \w{3}, \d{2}:\d{2} \S+ \(Autonoma Service Hub \w+\)$/)

    // The owner asks: the chat agent answers from the same row, and names the same slot.
    const reply = (
      await t.app.inject({
        method: 'POST',
        url: '/api/chat',
        headers: bearer(token),
        payload: { vin: vehicle.vin, message: "what's wrong with my car?" },
      })
    ).json() as { reply: { content: string } }
    expect(reply.reply.content).toContain(`${row.diagnosis} (${row.severity})`)
    expect(reply.reply.content).toContain(rulSentence(rulOf(alarm) as never))
    expect(reply.reply.content).toContain(slot)

    // The staff timeline: the alert's headline, the latest diagnosis, the proposal in the same words.
    const timeline = ((await get(`/api/vehicles/${vehicle.vin}/timeline`, staff)) as { entries: Json[] })
      .entries
    const mine = timeline.filter((e) => e.alarm_id === id)
    expect(mine.find((e) => e.kind === 'opened')!.summary).toBe(row.headline)
    const diagnosed = mine.filter((e) => e.kind === 'diagnosed')
    expect(diagnosed[diagnosed.length - 1]!.summary).toContain(row.diagnosis as string)
    expect(mine.find((e) => e.kind === 'booked')!.summary).toBe(`Booked ${slot}`)

    // The booking push: sent once, when proposed, worded like everything else.
    const pushed = owner.of('booking').filter((m) => m.data.id === bookings[0]!.id)
    expect(pushed).toHaveLength(1)
    expect(pushed[0]!.data.slot_label).toBe(slot)
    return { row, slot }
  }

  it('agrees on severity, RUL, headline, diagnosis and the proposed slot, opened and then escalated', async () => {
    for (let k = 0; k < 40; k++) feed(30)
    for (let temp = 31; temp <= 46; temp++) feed(temp)
    const opened = await expectOneStory('opened')
    expect(opened.row.severity).toBe('High')
    expect(opened.row.headline).toMatch(/^Battery running hot: \d+ °C, limit 45 °C$/)
    expect(opened.row.rul_method).toBe('theil-sen')

    for (let temp = 47; temp <= 57; temp++) feed(temp)
    const escalated = await expectOneStory('escalated')
    // Everything moved together: a new severity, estimate and headline, the same proposal.
    expect(escalated.row.severity).toBe('Critical')
    expect(escalated.row.rul_method).toBe('crossed')
    expect(escalated.row.headline).not.toBe(opened.row.headline)
    expect(escalated.row.headline).toMatch(/^Battery running hot: \d+ °C, limit \d+ °C$/)
    expect(escalated.slot).toBe(opened.slot)
    expect(formatRul(escalated.row as never)).toBe('now')
  })
})
