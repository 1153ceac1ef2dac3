import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FleetMessage, ServerMessageSchemas } from '../src/ingest/messages.js'
import type { TelemetryReading } from '../src/schemas/telemetry.js'
import { StreamEngine } from '../src/simulation/stream-engine.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from './helpers/app.js'

/**
 * docs/demo.md, request by request, against the real app fed with the shipped fleet: if this
 * passes, the walk-through is true. The replay runs as fast as it can to the middle of the owner's
 * thermal episode (open 06:15 to 23:15 on 4 October), where the owner answers the agent; then on to
 * a week in, by when three vehicles of batch B-2025-01 have had the fault.
 */
const VIN = '5ATURH1E0SA250102'
const OWNER_ANSWERS = Date.parse('2026-10-04T12:00:00Z')
const UNTIL = Date.parse('2026-10-07T12:00:00Z')

describe('the demo of docs/demo.md', () => {
  let t: TestApp
  const tokens = { owner: '', service: '', oem: '' }
  /** Every real-time message the demo publishes, as a WebSocket client would receive it. */
  const published: { type: FleetMessage['type']; data: unknown }[] = []
  const readings: TelemetryReading[] = []
  /** Feeds the replay up to `until` (exclusive of later readings) and waits for the agents. */
  async function replayUntil(until: number): Promise<void> {
    while (readings.length > 0 && Date.parse(readings[0]!.timestamp) <= until) {
      t.app.services.pipeline.ingest(readings.shift()!)
    }
    await t.app.services.episodes.drain()
  }
  const call = (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) })

  beforeAll(async () => {
    t = await createTestApp()
    tokens.owner = await login(t.app, DEMO.customer)
    tokens.service = await login(t.app, DEMO.service)
    tokens.oem = await login(t.app, DEMO.manufacturer)
    t.app.services.bus.subscribe((m) => {
      published.push({ type: m.type, data: JSON.parse(m.dataJson ?? JSON.stringify(m.data)) })
    })
    const engine = new StreamEngine('data/fleet_15min.csv', { delaySeconds: 0, loop: false })
    for await (const reading of engine.streamData()) {
      if (Date.parse(reading.timestamp) > UNTIL) break
      readings.push(reading)
    }
    engine.stop()
    await replayUntil(OWNER_ANSWERS)
  }, 120_000)
  afterAll(() => t.close())

  it('walks from the alert to a completed, rated service, a batch insight and a blocked UEBA drill', async () => {
    // 2. The alert: the episode with its diagnosis and the agent's proposed booking.
    const alarms = (await call(tokens.owner, 'GET', `/api/alarms?vin=${VIN}`)).json()
    const thermal = alarms.find((a: { anomaly_type: string }) => a.anomaly_type === 'battery_thermal')
    expect(thermal.diagnoses[0].diagnosis_text).toMatch(/thermal/i)
    expect(thermal.bookings[0]).toMatchObject({ status: 'PENDING', source: 'agent' })

    // 3. The agent wrote to the owner first: an early warning on the drift, then the urgent message
    // with the proposed service when the threshold was crossed.
    const chat = (await call(tokens.owner, 'GET', `/api/chat/${VIN}`)).json()
    expect(chat[0]).toMatchObject({
      sender: 'agent',
      content: expect.stringMatching(/^(FYI|Heads-up|Important|URGENT):/),
    })
    const urgent = chat.find((m: { content: string }) => /^(URGENT|Important):/.test(m.content))
    expect(urgent.actions[0]).toMatchObject({ type: 'confirm_booking', booking_id: thermal.bookings[0].id })

    // 4. "What should I do?"
    const advice = (
      await call(tokens.owner, 'POST', '/api/chat', { vin: VIN, message: 'What should I do?' })
    ).json()
    expect(advice.reply.content).toMatch(/thermal/i)

    // 5. "yes" confirms the proposal.
    const yes = (await call(tokens.owner, 'POST', '/api/chat', { vin: VIN, message: 'yes' })).json()
    expect(yes.booking).toMatchObject({ status: 'CONFIRMED', vin: VIN })
    const booking = yes.booking.id as string

    // The fault cools off that evening; a confirmed booking stands (only unanswered proposals are
    // withdrawn), and two more vehicles of the batch fail in the days after.
    await replayUntil(UNTIL)
    const after = (await call(tokens.owner, 'GET', `/api/alarms?vin=${VIN}`)).json()
    const episode = after.find((a: { id: string }) => a.id === thermal.id)
    expect(episode).toMatchObject({ status: 'RESOLVED', bookings: [{ id: booking, status: 'CONFIRMED' }] })

    // 6. The service centre sees it and completes it.
    const queue = (await call(tokens.service, 'GET', '/api/bookings?status=PENDING,CONFIRMED')).json()
    expect(queue.map((b: { id: string }) => b.id)).toContain(booking)
    const done = await call(tokens.service, 'PATCH', `/api/bookings/${booking}`, { status: 'COMPLETED' })
    expect(done.json().status).toBe('COMPLETED')
    const request = (await call(tokens.owner, 'GET', `/api/chat/${VIN}`)).json().at(-1)
    expect(request.intent).toBe('feedback_request')

    // 7. The owner rates it.
    const rated = await call(tokens.owner, 'POST', `/api/bookings/${booking}/feedback`, {
      rating: 5,
      comment: 'Fixed the same day',
    })
    expect(rated.statusCode).toBe(201)

    // 8. Manufacturing sees the batch pattern.
    const insights = (await call(tokens.oem, 'GET', '/api/insights?batch=B-2025-01')).json()
    expect(insights[0]).toMatchObject({ component_name: 'battery', affected_batch: 'B-2025-01' })
    expect(insights[0].recommendation).toMatch(/thermal paste/i)
    const summary = (await call(tokens.oem, 'GET', '/api/insights/summary')).json()
    expect(summary.counts.some((c: { batch: string }) => c.batch === 'B-2025-01')).toBe(true)
    expect((await call(tokens.oem, 'GET', '/api/insights/export.csv')).body).toContain('B-2025-01')

    // 9. A forced customer-agent write to manufacturing data is blocked and logged.
    const drill = (
      await call(tokens.oem, 'POST', '/api/ueba/drills', { scenario: 'engagement_writes_manufacturing' })
    ).json()
    expect(drill).toMatchObject({
      allowed: false,
      log: { agent_name: 'customer_engagement', status: 'BLOCKED' },
    })
    const blocked = (await call(tokens.oem, 'GET', '/api/ueba/logs?status=BLOCKED')).json()
    expect(blocked.items[0].target_node).toBe('manufacturing_insights')
    const allowed = (await call(tokens.oem, 'GET', '/api/ueba/logs?status=ALLOWED&limit=200')).json()
    expect(allowed.items.length).toBeGreaterThan(10)
  })

  it('sends only messages that match the real-time contract, of every kind the demo involves', () => {
    const broken = published
      .map((m) => ({ type: m.type, result: ServerMessageSchemas[m.type].safeParse(m.data) }))
      .filter((m) => !m.result.success)
      .map((m) => `${m.type}: ${m.result.error?.issues.map((i) => i.path.join('.')).join(', ')}`)
    expect(broken).toEqual([])
    const kinds = new Set(published.map((m) => m.type))
    for (const kind of ['telemetry', 'alert', 'chat', 'booking', 'ueba', 'security'] as const) {
      expect(kinds, kind).toContain(kind)
    }
  })
})
