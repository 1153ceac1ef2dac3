import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import type { DbHandle } from '../../src/db/client.js'
import { seedDemoData } from '../../src/demo.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { testConfig } from '../helpers/app.js'
import { createTestDatabase, DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

/**
 * A restart must not repeat what an episode caused: each life of the service is a new app over
 * the same database, fed the readings a real fleet would resend (the last ones again) plus new ones.
 */
describe.each(DB_KINDS)('episode effects across restarts on %s', (kind) => {
  let db: DbHandle
  const vehicle = FLEET_VEHICLES[0]!
  const START = '2026-10-10T00:00:00Z'

  async function life(feed: (app: FastifyInstance) => void): Promise<void> {
    const app = await buildApp({ config: testConfig(), db, logger: false })
    await app.ready()
    feed(app)
    await app.services.episodes.drain()
    await app.close()
  }
  const counts = async () => {
    const r = await sql<{ events: number; diagnoses: number; alerts: number; bookings: number }>`
      select (select count(*)::int from anomaly_events) as events,
             (select count(*)::int from diagnoses) as diagnoses,
             (select count(*)::int from chat_messages where intent = 'alert') as alerts,
             (select count(*)::int from service_bookings where source = 'agent') as bookings`.execute(db.db)
    return r.rows[0]!
  }
  const hot = (i: number) => makeReading(vehicle.vin, step(START, i), { battery_temperature: 52 })

  beforeAll(async () => {
    db = await createTestDatabase(kind)
    await seedDemoData(db.db)
  })
  afterAll(() => db.close())

  it('opens, diagnoses, messages and books an episode once, however often the service restarts', async () => {
    await life((app) => {
      for (let i = 0; i < 20; i++) app.services.pipeline.ingest(makeReading(vehicle.vin, step(START, i)))
      for (let i = 20; i < 25; i++) app.services.pipeline.ingest(hot(i))
    })
    const first = await counts()
    expect(first).toEqual({ events: 1, diagnoses: 1, alerts: 1, bookings: 1 })
    // The next life gets the last readings again (not acknowledged before the stop) and more of the episode.
    await life((app) => {
      for (let i = 20; i < 30; i++) app.services.pipeline.ingest(hot(i))
    })
    expect(await counts()).toEqual(first)
  })

  it('finishes a run that an earlier life cut short before the diagnosis, once', async () => {
    const other = FLEET_VEHICLES[1]!
    const { id } = (await db.db
      .selectFrom('vehicles')
      .select('id')
      .where('vin', '=', other.vin)
      .executeTakeFirst())!
    // What a crash right after opening the episode leaves behind: the event, nothing else.
    await db.db
      .insertInto('anomaly_events')
      .values({
        vehicle_id: id,
        anomaly_type: 'battery_thermal',
        severity: 'High',
        detected_at: step(START, 40),
      })
      .execute()
    const before = await counts()
    const feed = (from: number) => (app: FastifyInstance) => {
      for (let i = from; i < from + 5; i++)
        app.services.pipeline.ingest(makeReading(other.vin, step(START, i), { battery_temperature: 52 }))
    }
    await life(feed(41))
    const after = await counts()
    expect(after).toEqual({
      ...before,
      diagnoses: before.diagnoses + 1,
      alerts: before.alerts + 1,
      bookings: before.bookings + 1,
    })
    await life(feed(46))
    expect(await counts()).toEqual(after)
  })
})
