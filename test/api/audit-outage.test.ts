import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, createTestApp, DEMO, healthDetails, login, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'

/**
 * The audit log through a database outage, made by failing the log's writes with a connection
 * error (as a dropped PostgreSQL connection fails them): refusals are answered at once, kept in
 * the spool, and stored in order when writes work again; past the spool's bound the loss is
 * counted and shown in health, in verify and so on the dashboard.
 */
describe.each(DB_KINDS)('the audit log through a database outage on %s', (kind) => {
  let t: TestApp
  let customer: string
  let oem: string
  let down = false

  beforeAll(async () => {
    t = await createTestApp(kind, {
      AUDIT_SPOOL_MAX_ROWS: '8',
      // Monitor mode: the customer's repeated refusals would step them up (a row of its own).
      UEBA_ENFORCE: 'false',
    })
    customer = await login(t.app, DEMO.customer)
    oem = await login(t.app, DEMO.manufacturer)
    const repo = t.app.services.repos.ueba
    const real = repo.insertUebaLogs.bind(repo)
    vi.spyOn(repo, 'insertUebaLogs').mockImplementation((rows, options) =>
      down
        ? Promise.reject(
            Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
          )
        : real(rows, options),
    )
    await t.app.services.agents.ueba.flush()
  })
  afterAll(() => t.close())

  const refuse = (n: number) => t.app.inject({ url: `/api/insights?limit=${n}`, headers: bearer(customer) })
  const stats = () => t.app.services.agents.ueba.auditStats

  it('loses no refusal made during the outage, and stores them in order once it ends', async () => {
    const since = Number((await t.app.services.repos.ueba.chainHead())!.seq)
    down = true
    for (let n = 1; n <= 5; n++) expect((await refuse(n)).statusCode).toBe(403)
    await vi.waitFor(() => expect(stats().spooled).toBe(5))
    const health = (await healthDetails(t.app)).json()
    expect(health.reasons).toContain('ueba_audit: 5 rows waiting for the database')
    expect(health.components.ueba_audit).toMatchObject({ spooled: 5, lost: 0 })

    down = false
    await vi.waitFor(() => expect(stats().spooled).toBe(0), { timeout: 10_000 })
    const rows = await t.db.db
      .selectFrom('ueba_logs')
      .select(['reason', 'details'])
      .where('seq', '>', String(since))
      .where('reason', '=', 'FORBIDDEN')
      .orderBy('seq')
      .execute()
    expect(rows).toHaveLength(5)
    expect(stats()).toMatchObject({ lost: 0, failingSince: null })
    const verify = (await t.app.inject({ url: '/api/ueba/verify', headers: bearer(oem) })).json()
    expect(verify).toMatchObject({ ok: true, audit: { spooled: 0, lost: 0 } })
  })

  it('counts what a full spool cannot take, in health and in verify', async () => {
    down = true
    for (let n = 1; n <= 11; n++) await refuse(n)
    await vi.waitFor(() => expect(stats().spooled + stats().dropped).toBe(11))
    expect(stats()).toMatchObject({ spooled: 8, dropped: 3, lost: 3 })
    const health = (await healthDetails(t.app)).json()
    expect(health.status).toBe('degraded')
    expect(health.reasons).toContain('ueba_audit: 3 rows lost (spool full)')
    down = false
    await vi.waitFor(() => expect(stats().spooled).toBe(0), { timeout: 10_000 })
    const verify = (await t.app.inject({ url: '/api/ueba/verify', headers: bearer(oem) })).json()
    expect(verify).toMatchObject({ ok: true, audit: { dropped: 3, lost: 3 } })
  })
})
