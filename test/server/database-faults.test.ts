import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { isConnectionError } from '../../src/db/errors.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, healthDetails, login, type TestApp } from '../helpers/app.js'
import { makeReading, step } from '../helpers/readings.js'

/**
 * Faults of a real PostgreSQL server, on the test's own database only (never the server itself):
 * its connections killed while readings are written, then an outage (the database refusing
 * connections for a few seconds). The app runs in this process: a crash (an `error` event nobody
 * listens to) would fail the run as an unhandled error.
 */
const SERVER_URL = process.env.TEST_DATABASE_URL
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const VINS = FLEET_VEHICLES.map((v) => v.vin)

describe.runIf(SERVER_URL)('database faults on PostgreSQL', () => {
  let t: TestApp
  let admin: pg.Client
  let name: string

  /** Ends every connection the app has to its database (not the admin's: it is on another one). */
  const terminate = async () =>
    (
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      )
    ).rowCount ?? 0

  /** Distinct (vehicle, ts) stored from `from` on, and all rows (a retried COPY may store twice). */
  const storedSince = async (from: string) => {
    const r = await sql<{ distinct: number; rows: number }>`
      select count(distinct (vehicle_id, ts))::int as distinct, count(*)::int as rows
      from telemetry_logs where ts >= ${from}`.execute(t.db.db)
    return r.rows[0]!
  }

  beforeAll(async () => {
    t = await createTestApp('postgres')
    name = (await sql<{ name: string }>`select current_database() as name`.execute(t.db.db)).rows[0]!.name
    admin = new pg.Client({ connectionString: SERVER_URL })
    await admin.connect()
  })
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`)
    await admin?.end()
    await t?.close()
  })

  it('survives its connections being terminated while it writes, and stores every accepted reading', async () => {
    const start = '2027-01-01T00:00:00.000Z'
    const writer = t.app.services.writer
    const failedBefore = writer.stats.failedAttempts
    let accepted = 0
    let killed = 0
    let rounds = 0
    // Readings keep coming while the backends (the COPY ones among them) are killed, until the
    // writer has seen a batch fail at least once and a few terminations hit.
    while (rounds < 5 || writer.stats.failedAttempts === failedBefore || killed < 3) {
      if (rounds > 100) throw new Error(`no write failed in ${rounds} rounds (${killed} backends killed)`)
      // A full batch (1000) starts a COPY at once; the terminate then races it.
      for (let k = 0; k < 1000; k++) {
        const outcome = t.app.services.pipeline.ingest(
          makeReading(VINS[accepted % VINS.length]!, step(start, accepted)),
        )
        expect(outcome).toBe('accepted')
        accepted++
      }
      const flushing = writer.flush()
      await sleep(rounds % 4)
      killed += await terminate()
      await flushing
      await sleep(20)
      rounds++
    }
    expect(writer.stats.failedAttempts).toBeGreaterThan(failedBefore)

    // A connection checked out but idle when killed (a transaction between two statements): its
    // client emits `error` with no query to fail; that must be logged, not thrown.
    let terminated!: () => void
    const killedMeanwhile = new Promise<void>((r) => {
      terminated = r
    })
    const transaction = t.db.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx)
      await killedMeanwhile
      await sleep(200)
      await sql`select 2`.execute(trx)
    })
    await sleep(100)
    expect(await terminate()).toBeGreaterThan(0)
    terminated()
    const failure = await transaction.then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(isConnectionError(failure)).toBe(true)
    // The writer clears its failing flag on its next good flush, which may come after the rows
    // are visible (a loaded machine): both are waited for.
    await vi.waitFor(
      async () => {
        expect((await storedSince(start)).distinct).toBe(accepted)
        expect(writer.stats).toMatchObject({ pending: 0, dropped: 0, failing: false })
      },
      { timeout: 30_000, interval: 250 },
    )
    // And the API still answers on fresh connections.
    expect((await healthDetails(t.app)).statusCode).toBe(200)
  }, 90_000)

  it('answers 503 DATABASE_UNAVAILABLE during an outage, says degraded, and recovers without a restart', async () => {
    const token = await login(t.app, DEMO.service)
    const start = '2031-01-01T00:00:00.000Z'
    const vehicles = () => t.app.inject({ method: 'GET', url: '/api/vehicles', headers: bearer(token) })
    const health = () => healthDetails(t.app)
    expect((await vehicles()).statusCode).toBe(200)

    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`)
    try {
      await terminate()
      for (let i = 0; i < 50; i++)
        t.app.services.pipeline.ingest(makeReading(VINS[i % VINS.length]!, step(start, i)))

      const down = await vehicles()
      expect(down.statusCode).toBe(503)
      expect(down.json()).toEqual({
        error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is not answering' },
      })
      expect(down.headers['retry-after']).toBe('5')
      const signIn = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: DEMO.customer })
      expect(signIn.statusCode).toBe(503)
      expect(signIn.json().error.code).toBe('DATABASE_UNAVAILABLE')

      // Failing can show before the 50 reach the writer (the killed connections fail it first).
      await vi.waitFor(
        () => expect(t.app.services.writer.stats).toMatchObject({ failing: true, pending: 50 }),
        {
          timeout: 10_000,
        },
      )
      const degraded = await health()
      expect(degraded.statusCode).toBe(503)
      expect(degraded.json()).toMatchObject({ status: 'degraded', db: 'down' })
      // The sign-in's audit row may be waiting in the spool too (it is written when the database returns).
      const reasons = degraded.json().reasons.filter((r: string) => !r.startsWith('ueba_audit:'))
      expect(reasons).toEqual([
        'database: not answering',
        expect.stringMatching(/^telemetry_writer: writes failing, 50 readings waiting/),
      ])
      // Held for a few seconds while the writer keeps retrying: still nothing dropped.
      await sleep(3000)
      expect(t.app.services.writer.stats).toMatchObject({ pending: 50, dropped: 0 })
    } finally {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`)
    }

    await vi.waitFor(
      async () => {
        const res = await health()
        expect(res.statusCode).toBe(200)
        expect(res.json()).toMatchObject({ status: 'ok', reasons: [], db: 'up' })
      },
      { timeout: 20_000, interval: 250 },
    )
    expect((await vehicles()).statusCode).toBe(200)
    expect((await storedSince(start)).distinct).toBe(50)
    expect(t.app.services.agents.ueba.auditStats).toMatchObject({ spooled: 0, lost: 0 })
  }, 60_000)
})
