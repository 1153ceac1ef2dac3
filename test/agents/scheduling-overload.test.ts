import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatAgent } from '../../src/agents/chat/chat-agent.js'
import { CustomerEngagementAgent } from '../../src/agents/workers/engagement-agent.js'
import { SchedulingAgent } from '../../src/agents/workers/scheduling-agent.js'
import type { DbHandle } from '../../src/db/client.js'
import { createRepositories, type Repositories } from '../../src/db/repositories/index.js'
import type { Severity } from '../../src/domain.js'
import { InProcessEventBus } from '../../src/ingest/event-bus.js'
import { BookingService } from '../../src/services/booking.service.js'
import { ForecastService } from '../../src/services/forecast.service.js'
import { createTestDatabase } from '../helpers/db.js'

// A Monday in winter, 06:00 UTC = 07:00 in Berlin.
const NOW = new Date('2030-01-07T06:00:00Z')
const CROSSED = {
  rul_days: 0,
  rul_low_days: 0,
  rul_high_days: 0,
  rul_method: 'crossed',
  rul_limit: 45,
} as const

describe('SchedulingAgent with the demand forecast (pglite)', () => {
  let handle: DbHandle
  let agent: SchedulingAgent
  let forecast: ForecastService
  let chat: ChatAgent
  let repos: Repositories
  let ownerId: string

  beforeAll(async () => {
    handle = await createTestDatabase('pglite')
    const db = handle.db
    // One bay, two one-hour slots a day (08:00 and 09:00 local): easy to overload.
    await db
      .insertInto('service_centers')
      .values({
        name: 'Tiny Hub',
        city: 'Berlin',
        bays: 1,
        opening_hour: 8,
        closing_hour: 10,
        slot_minutes: 60,
        timezone: 'Europe/Berlin',
      })
      .execute()
    const owner = await db
      .insertInto('users')
      .values({ email: 'owner@test.com', password_hash: 'x', role: 'customer' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const vehicles = await db
      .insertInto('vehicles')
      .values(
        Array.from({ length: 6 }, (_, i) => ({
          owner_id: owner.id,
          vin: `ZZZBUSYDAY000000${i}`,
          model: 'Test EV',
        })),
      )
      .returning('id')
      .execute()
    ownerId = owner.id
    repos = createRepositories(db)
    // Six critical faults, none booked yet: they will take today's two slots and more. Opened over
    // the last 20 days, so new faults are expected at 0.3 a day, too few to fill a later day.
    for (const [i, v] of vehicles.entries()) {
      const detectedAt = new Date(NOW.getTime() - (20 - i) * 86_400_000)
      await repos.anomalies.createAnomalyEvent(
        v.id,
        'battery_thermal',
        'Critical',
        {},
        { rul: CROSSED, detectedAt },
      )
    }
    const bookings = new BookingService({
      repos,
      bus: new InProcessEventBus(),
      log: { error() {} },
      now: () => NOW,
    })
    forecast = new ForecastService(repos, { now: () => NOW })
    agent = new SchedulingAgent(repos, bookings, { now: () => NOW, demand: forecast })
    const engagement = new CustomerEngagementAgent()
    chat = new ChatAgent({ repos, scheduling: agent, bookings, engagement, now: () => NOW })
  })
  afterAll(() => handle.close())

  it('forecasts today as overloaded and tomorrow not', async () => {
    const [f] = await forecast.forecastAll()
    expect(f!.days[0]).toMatchObject({ date: '2030-01-07', capacity: 2, overloaded: true })
    expect(f!.days[1]).toMatchObject({ date: '2030-01-08', overloaded: false })
    expect(f!.warnings.some((w) => w.startsWith('2030-01-07 is overloaded'))).toBe(true)
  })

  it('offers a non-urgent visit tomorrow first, an urgent one the earliest slot today', async () => {
    const medium = await agent.checkAvailability(undefined, NOW, { days: 3, severity: 'Medium' })
    expect(medium.slice(0, 2).map((s) => s.start)).toEqual([
      '2030-01-08T07:00:00.000Z',
      '2030-01-08T08:00:00.000Z',
    ])
    // Today's slots are still there, after the quieter days.
    expect(medium.at(-1)?.start).toBe('2030-01-07T08:00:00.000Z')
    const critical = await agent.checkAvailability(undefined, NOW, { days: 3, severity: 'Critical' })
    expect(critical[0]!.start).toBe('2030-01-07T07:00:00.000Z')
    const high = await agent.checkAvailability(undefined, NOW, { days: 3, severity: 'High', limit: 1 })
    expect(high.map((s) => s.start)).toEqual(['2030-01-07T07:00:00.000Z'])
    // Without a severity (the slots API) the order is plain time order.
    expect((await agent.checkAvailability(undefined, NOW, { days: 3 }))[0]!.start).toBe(
      '2030-01-07T07:00:00.000Z',
    )
  })

  it('still offers an overloaded day when the window holds nothing else', async () => {
    const today = await agent.checkAvailability(undefined, NOW, { days: 1, severity: 'Low' })
    expect(today.map((s) => s.start)).toEqual(['2030-01-07T07:00:00.000Z', '2030-01-07T08:00:00.000Z'])
  })

  it('shares one forecast between the offers of a burst, and computes afresh without a cache', async () => {
    let computed = 0
    const counting = {
      ...repos,
      forecast: {
        ...repos.forecast,
        openEpisodes: () => {
          computed++
          return repos.forecast.openEpisodes()
        },
      } as Repositories['forecast'],
    }
    const cached = new ForecastService(counting, { now: () => NOW, overloadCacheMs: 60_000 })
    const burst = await Promise.all(Array.from({ length: 5 }, () => cached.overloadedDays()))
    expect(computed).toBe(1)
    expect([...burst[4]!]).toEqual([...(await forecast.overloadedDays())])
    expect([...burst[0]!].some((d) => d.endsWith('@2030-01-07'))).toBe(true)
    // A day later (a replay's clock jumping) is not the same answer.
    await cached.overloadedDays(new Date(NOW.getTime() + 86_400_000))
    expect(computed).toBe(2)
    const uncached = new ForecastService(counting, { now: () => NOW })
    await Promise.all([uncached.overloadedDays(), uncached.overloadedDays()])
    expect(computed).toBe(4)
  })

  it('in chat, offers an owner with a Medium issue tomorrow, one with a High issue today', async () => {
    const offered = async (vin: string, severity: Severity) => {
      const vehicle = await repos.vehicles.createVehicle({ owner_id: ownerId, vin, model: 'Test EV' })
      await repos.anomalies.createAnomalyEvent(
        vehicle.id,
        'motor_bearing',
        severity,
        {},
        {
          detectedAt: new Date(NOW.getTime() - 86_400_000),
        },
      )
      const turn = await chat.reply({
        user: { id: ownerId, role: 'customer' },
        vehicle,
        content: 'what should I do?',
      })
      return (turn.offered_slots ?? []).map((s) => s.start)
    }
    expect((await offered('ZZZCHATMEDVM00001', 'Medium'))[0]).toBe('2030-01-08T07:00:00.000Z')
    expect((await offered('ZZZCHATHGH0000001', 'High'))[0]).toBe('2030-01-07T07:00:00.000Z')
  })
})
