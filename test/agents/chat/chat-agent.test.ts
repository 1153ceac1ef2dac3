import { FakeListChatModel } from '@langchain/core/utils/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatAgent } from '../../../src/agents/chat/chat-agent.js'
import { Conversation } from '../../../src/agents/chat/conversation.js'
import { detectIntent } from '../../../src/agents/chat/intents.js'
import { CustomerEngagementAgent } from '../../../src/agents/workers/engagement-agent.js'
import { SchedulingAgent } from '../../../src/agents/workers/scheduling-agent.js'
import type { DbHandle } from '../../../src/db/client.js'
import { createRepositories, type Repositories, type Viewer } from '../../../src/db/repositories/index.js'
import type { Vehicle } from '../../../src/db/schema.js'
import { seedDemoData } from '../../../src/demo.js'
import { InProcessEventBus } from '../../../src/ingest/event-bus.js'
import { BookingService } from '../../../src/services/booking.service.js'
import { DEMO } from '../../helpers/app.js'
import { createTestDatabase, DB_KINDS } from '../../helpers/db.js'

// A Monday in winter: Europe/Berlin is UTC+1. Tomorrow 10:00 local is 2030-01-08T09:00Z.
const NOW = new Date('2030-01-07T05:00:00Z')

describe('detectIntent', () => {
  it.each([
    ['What should I do?', 'help'],
    ['what do I do now', 'help'],
    ['Is it safe to drive?', 'status'],
    ['how is my car', 'status'],
    ['When is my appointment?', 'booking'],
    ['is my booking confirmed?', 'booking'],
    ['yes', 'approve'],
    ['Approve the proposed service', 'approve'],
    ['please book it', 'approve'],
    ['no', 'decline'],
    ['Not now', 'decline'],
    ['no thanks', 'decline'],
    ['cancel my booking', 'decline'],
    ['thanks!', 'thanks'],
    ['slot 2', 'pick_slot'],
    ['10:00 please', 'pick_slot'],
    ['tomorrow 9', 'pick_slot'],
    ['2030-01-08T09:00:00.000Z', 'pick_slot'],
    [`' OR 1=1 --`, 'fallback'],
    [`"; DROP TABLE users; --`, 'fallback'],
    ['what is the meaning of life', 'fallback'],
  ])('%s -> %s', (text, intent) => {
    expect(detectIntent(text).intent).toBe(intent)
  })

  it('reads which slot was picked', () => {
    expect(detectIntent('slot 2').pick).toEqual({ kind: 'ordinal', index: 1 })
    expect(detectIntent('the second one').pick).toEqual({ kind: 'ordinal', index: 1 })
    expect(detectIntent('tomorrow 9').pick).toEqual({
      kind: 'time',
      hour: 9,
      minute: 0,
      utc: false,
      day: { offset: 1 },
    })
    expect(detectIntent('3pm on Tuesday').pick).toMatchObject({ hour: 15, minute: 0, day: { weekday: 2 } })
    expect(detectIntent('book 08:30 UTC').pick).toMatchObject({ hour: 8, minute: 30, utc: true })
    expect(detectIntent('2030-01-08T09:00:00Z').pick).toEqual({
      kind: 'exact',
      at: new Date('2030-01-08T09:00:00Z'),
    })
    expect(detectIntent('ok').weak).toBe(true)
    expect(detectIntent('cancel it').cancel).toBe(true)
  })
})

describe.each(DB_KINDS)('ChatAgent on %s', (kind) => {
  let handle: DbHandle
  let repos: Repositories
  let scheduling: SchedulingAgent
  let bookings: BookingService
  let agent: ChatAgent
  let user: Viewer
  let seq = 0

  const newVehicle = () =>
    repos.vehicles.createVehicle({
      owner_id: user.id,
      vin: `ZZZCHAT${String(seq++).padStart(10, '0')}`,
      model: 'Test EV',
    })
  /** An open battery-cooling episode with its diagnosis, as the graph would write it. */
  const openIssue = async (vehicle: Vehicle) => {
    const event = await repos.anomalies.createAnomalyEvent(
      vehicle.id,
      'battery_thermal',
      'High',
      {},
      {
        reason: 'battery_temperature 55 above 45',
        rul: {
          rul_days: 12.4,
          rul_low_days: 8,
          rul_high_days: 20,
          rul_method: 'theil-sen',
          rul_limit: 55,
        },
      },
    )
    await repos.diagnoses.createDiagnosis(event.id, 'Battery thermal management failure', 0.8, {
      severity: 'High',
      component: 'battery',
      recommendedAction: 'Inspect the battery cooling loop.',
    })
    return event
  }
  const say = (vehicle: Vehicle, content: string, idempotencyKey?: string) =>
    agent.reply({ user, vehicle, content, idempotencyKey })
  const live = async (vehicle: Vehicle) =>
    (await repos.bookings.listVisible(user, { vehicleId: vehicle.id })).filter(
      (b) => b.status === 'PENDING' || b.status === 'CONFIRMED',
    )

  beforeAll(async () => {
    handle = await createTestDatabase(kind)
    await seedDemoData(handle.db)
    repos = createRepositories(handle.db)
    bookings = new BookingService({
      repos,
      bus: new InProcessEventBus(),
      log: { error() {} },
      now: () => NOW,
    })
    scheduling = new SchedulingAgent(repos, bookings, { now: () => NOW })
    agent = new ChatAgent({
      repos,
      scheduling,
      bookings,
      engagement: new CustomerEngagementAgent(),
      now: () => NOW,
    })
    const u = (await repos.users.getUserByEmail(DEMO.customer.email))!
    user = { id: u.id, role: u.role }
  })
  afterAll(() => handle?.close())

  it('stores both turns and says there is nothing to do for a healthy vehicle', async () => {
    const v = await newVehicle()
    const turn = await say(v, 'What should I do?')
    expect(turn.question).toMatchObject({ sender: 'customer', content: 'What should I do?', intent: 'help' })
    expect(turn.reply).toMatchObject({ sender: 'agent', intent: 'help', actions: [] })
    expect(turn.reply.content).toMatch(/no open issues/)
    expect(turn.offered_slots).toBeUndefined()
    expect((await repos.chat.listForVehicle(v.id)).map((m) => m.sender)).toEqual(['customer', 'agent'])
  })

  it('explains the diagnosis, offers the earliest three slots, and books the first on "yes"', async () => {
    const v = await newVehicle()
    const event = await openIssue(v)
    const earliest = (await scheduling.checkAvailability(undefined, undefined, { limit: 3 })).map(
      (s) => s.start,
    )
    const help = await say(v, 'what should I do?')
    expect(help.reply.content).toMatch(
      /^Important: Battery thermal management failure detected on your Test EV \(ZZZCHAT0000000001\)\./,
    )
    expect(help.reply.content).toContain('Severity: High.')
    expect(help.reply.content).toContain('Inspect the battery cooling loop.')
    expect(help.reply.content).toContain('12 days')
    expect(help.offered_slots?.map((s) => s.start)).toEqual(earliest)
    expect((help.reply.actions as Array<{ type: string }>).map((a) => a.type)).toEqual([
      'book_slot',
      'book_slot',
      'book_slot',
      'decline',
    ])
    expect(help.reply.anomaly_event_id).toBe(event.id)

    const yes = await say(v, 'yes')
    expect(yes.booking).toMatchObject({
      status: 'CONFIRMED',
      source: 'chat',
      created_by: user.id,
      anomaly_event_id: event.id,
    })
    expect(yes.booking!.appointment_time.toISOString()).toBe(earliest[0])
    expect(yes.changed.map((b) => b.id)).toEqual([yes.booking!.id])
    expect(yes.reply.booking_id).toBe(yes.booking!.id)
    expect(await live(v)).toHaveLength(1)

    const status = await say(v, 'Is it safe to drive?')
    expect(status.reply.content).toMatch(
      /1 open issue; the most serious is Battery thermal management failure/,
    )
    expect(status.reply.content).toContain('Your service is booked for')
    expect((await say(v, 'when is my appointment?')).reply.booking_id).toBe(yes.booking!.id)
  })

  it('confirms the agent’s PENDING proposal on "yes" rather than booking another slot', async () => {
    const v = await newVehicle()
    await openIssue(v)
    const [slot] = await scheduling.checkAvailability(undefined, undefined, { limit: 1 })
    const { booking: proposed } = await scheduling.bookAppointment(slot!.start, v.id, {
      serviceCenterId: slot!.service_center_id,
      source: 'agent',
    })
    const help = await say(v, 'What should I do?')
    expect(help.reply.actions).toEqual([
      expect.objectContaining({ type: 'confirm_booking', booking_id: proposed.id }),
      expect.objectContaining({ type: 'decline', booking_id: proposed.id }),
    ])
    const yes = await say(v, 'Yes please')
    expect(yes.booking).toMatchObject({ id: proposed.id, status: 'CONFIRMED' })
    expect(await live(v)).toEqual([expect.objectContaining({ id: proposed.id, status: 'CONFIRMED' })])
  })

  it('declines: cancels the proposal, records the intent and leaves no booking', async () => {
    const v = await newVehicle()
    await openIssue(v)
    const [slot] = await scheduling.checkAvailability(undefined, undefined, { limit: 1 })
    const { booking: proposed } = await scheduling.bookAppointment(slot!.start, v.id, { source: 'agent' })
    const no = await say(v, 'No')
    expect(no.reply).toMatchObject({ intent: 'decline', booking_id: proposed.id })
    expect(no.reply.content).toMatch(/ask me again any time/)
    expect(no.booking).toBeUndefined()
    expect(no.changed).toEqual([expect.objectContaining({ id: proposed.id, status: 'CANCELLED' })])
    expect(await live(v)).toEqual([])
  })

  it('books a slot picked by number and cancels the proposal for another time', async () => {
    const v = await newVehicle()
    await openIssue(v)
    const offer = await say(v, 'when is my appointment?')
    const second = offer.offered_slots![1]!
    const [first] = offer.offered_slots!
    const { booking: proposed } = await scheduling.bookAppointment(first!.start, v.id, { source: 'agent' })
    const pick = await say(v, 'slot 2')
    expect(pick.booking).toMatchObject({ status: 'CONFIRMED', service_center_id: second.service_center_id })
    expect(pick.booking!.appointment_time.toISOString()).toBe(second.start)
    expect((await repos.bookings.getBooking(proposed.id))?.status).toBe('CANCELLED')
    expect(await live(v)).toHaveLength(1)
  })

  it('books a slot picked by its local time of day', async () => {
    const v = await newVehicle()
    const turn = await say(v, 'Can I have tomorrow 10:00?')
    expect(turn.booking?.appointment_time.toISOString()).toBe('2030-01-08T09:00:00.000Z')
    expect(turn.booking?.service_center_name).toBe('Autonoma Service Hub North')
    expect(turn.reply.content).toContain('Tue 8 Jan, 10:00 CET (Autonoma Service Hub North)')
  })

  it('apologises and offers the next slots when the chosen one was taken meanwhile', async () => {
    const v = await newVehicle()
    await openIssue(v)
    const help = await say(v, 'what should I do?')
    const first = help.offered_slots![0]!
    for (let i = 0; i < first.free_bays; i++) {
      await scheduling.bookAppointment(first.start, (await newVehicle()).id, {
        serviceCenterId: first.service_center_id,
      })
    }
    const yes = await say(v, 'yes')
    expect(yes.booking).toBeUndefined()
    expect(yes.reply.content).toMatch(/^Sorry, .* has just been taken\. The earliest free slots are/)
    expect(yes.offered_slots?.map((s) => s.start)).not.toContain(first.start)
    expect(await live(v)).toEqual([])
  })

  it('books once when the same "yes" is retried with the same idempotency key', async () => {
    const v = await newVehicle()
    await openIssue(v)
    await say(v, 'what should I do?')
    const [a, b] = await Promise.all([say(v, 'yes', 'retry-1'), say(v, 'yes', 'retry-1')])
    expect(a.booking?.id).toBeDefined()
    expect(b.booking?.id).toBe(a.booking?.id)
    expect(await live(v)).toHaveLength(1)
  })

  it("answers a retry whose reads straddled the first try's commit with that booking", async () => {
    const v = await newVehicle()
    await openIssue(v)
    const first = (await say(v, 'what should I do?')).offered_slots![0]!
    // The first try takes the slot's last bay, so a fresh offer would name another slot.
    for (let i = 1; i < first.free_bays; i++) {
      await scheduling.bookAppointment(first.start, (await newVehicle()).id, {
        serviceCenterId: first.service_center_id,
      })
    }
    const before = await repos.bookings.listVisible(user, { vehicleId: v.id })
    const a = await say(v, 'yes', 'retry-2')
    // The retry looked for the first try's reply before it was stored, read the vehicle's
    // bookings before the first try's commit and its chat history after both.
    const stale = new ChatAgent({
      repos: {
        ...repos,
        chat: { ...repos.chat, findByDedupeKey: async () => undefined },
        bookings: { ...repos.bookings, listVisible: async () => before },
      },
      scheduling,
      bookings,
      engagement: new CustomerEngagementAgent(),
      now: () => NOW,
    })
    const b = await stale.reply({ user, vehicle: v, content: 'yes', idempotencyKey: 'retry-2' })
    expect(a.booking?.appointment_time.toISOString()).toBe(first.start)
    expect(b.booking?.id).toBe(a.booking?.id)
    expect(b.reply.content).toBe(a.reply.content)
    expect(b.changed).toEqual([])
    expect(await live(v)).toHaveLength(1)
  })

  it('answers a "yes" sent twice at once in order: one booking, and the second says so', async () => {
    const v = await newVehicle()
    await openIssue(v)
    await say(v, 'what should I do?')
    const conversation = new Conversation({ agent, bookings, repos })
    const [a, b] = await Promise.all([
      conversation.converse({ user, vehicle: v, content: 'yes' }),
      conversation.converse({ user, vehicle: v, content: 'yes' }),
    ])
    expect(a.reply.content).toMatch(/^Done: your service is confirmed for /)
    expect(b.reply.content).toMatch(/^Your service is already confirmed for /)
    expect(b.booking?.id).toBe(a.booking?.id)
    expect(await live(v)).toHaveLength(1)
  })

  it('stores a retried turn once and answers it with the first reply', async () => {
    const v = await newVehicle()
    await openIssue(v)
    await say(v, 'what should I do?')
    const first = await say(v, 'yes', 'retry-3')
    const again = await say(v, 'yes', 'retry-3')
    expect(first.replayed).toBeUndefined()
    expect(first.changed).toHaveLength(1)
    expect(again).toMatchObject({ replayed: true, changed: [] })
    expect(again.question.id).toBe(first.question.id)
    expect(again.reply.id).toBe(first.reply.id)
    expect(again.booking?.id).toBe(first.booking?.id)
    const history = await repos.chat.listForVehicle(v.id)
    expect(history.filter((m) => m.content === 'yes')).toHaveLength(1)
    expect(history.filter((m) => m.content === first.reply.content)).toHaveLength(1)
    expect(await live(v)).toHaveLength(1)
  })

  it('refuses an idempotency key used again with another message', async () => {
    const v = await newVehicle()
    await say(v, 'how is my car', 'retry-4')
    await expect(say(v, 'cancel my booking', 'retry-4')).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    })
    const history = await repos.chat.listForVehicle(v.id)
    expect(history.map((m) => m.content).filter((c) => c === 'cancel my booking')).toEqual([])
  })

  it('treats SQL-looking messages as data', async () => {
    const v = await newVehicle()
    for (const text of [`' OR 1=1 --`, `"; DROP TABLE users; --`]) {
      const turn = await say(v, text)
      expect(turn.question.content).toBe(text)
      expect(turn.reply.intent).toBe('fallback')
      expect(turn.reply.content).toMatch(/^I can help with your Test EV/)
    }
    expect(await repos.users.getUserByEmail(DEMO.customer.email)).toBeDefined()
  })

  it('lets a chat model phrase the explanation but not change what is offered', async () => {
    const v = await newVehicle()
    await openIssue(v)
    const engagement = new CustomerEngagementAgent({
      chatModel: new FakeListChatModel({ responses: ['Your battery runs hot; let us look at it soon.'] }),
    })
    const phrased = new ChatAgent({ repos, scheduling, bookings, engagement, now: () => NOW })
    const turn = await phrased.reply({ user, vehicle: v, content: 'what should I do?' })
    expect(turn.reply.content).toMatch(
      /^Important: Your battery runs hot; let us look at it soon\. Severity: High\./,
    )
    expect(turn.offered_slots).toHaveLength(3)
    expect(await live(v)).toEqual([])
  })
})
