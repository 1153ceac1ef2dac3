import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { END } from '@langchain/langgraph'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { AuditTrail, auditTimestamp } from '../../../src/agents/ueba/audit.js'
import { UebaAgent } from '../../../src/agents/ueba/gate.js'
import { DiskSpool } from '../../../src/agents/ueba/spool.js'
import type { DbHandle } from '../../../src/db/client.js'
import { createRepositories, type Repositories } from '../../../src/db/repositories/index.js'
import type { AppendOptions, NewUebaLog } from '../../../src/db/repositories/ueba.js'
import type { UebaLogEntry } from '../../../src/db/schema.js'
import { createTestDatabase, DB_KINDS } from '../../helpers/db.js'

/** A write function that records each batch it is given, and fails the first `failures` calls. */
function recorder(failures = 0) {
  const batches: number[][] = []
  let calls = 0
  const write = async (rows: number[]) => {
    calls++
    await new Promise((r) => setTimeout(r, 2))
    if (calls <= failures) throw new Error(`disk full (${calls})`)
    batches.push([...rows])
  }
  return { batches, write, calls: () => calls }
}

describe('AuditTrail (the UEBA group commit)', () => {
  it('writes attempts nobody waits for together, within maxDelayMs', async () => {
    const r = recorder()
    const trail = new AuditTrail(r.write, { maxDelayMs: 20 })
    const done = [1, 2, 3].map((n) => trail.append(n))
    expect(r.batches).toEqual([])
    await Promise.all(done)
    expect(r.batches).toEqual([[1, 2, 3]])
    expect(trail.stats).toMatchObject({ written: 3, pending: 0, batches: 1, lost: 0 })
  })

  it('writes an urgent attempt at once, carrying along what was waiting', async () => {
    const r = recorder()
    const trail = new AuditTrail(r.write, { maxDelayMs: 60_000 })
    trail.append(1)
    trail.append(2)
    const started = Date.now()
    await trail.append(3, { urgent: true })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(r.batches).toEqual([[1, 2, 3]])
  })

  it('puts attempts made during a write into the next batch, and splits at maxBatch', async () => {
    const r = recorder()
    const trail = new AuditTrail(r.write, { maxBatch: 2 })
    const first = trail.append(1, { urgent: true })
    await new Promise((res) => setImmediate(res))
    await new Promise((res) => setImmediate(res))
    // The first write is in flight now.
    for (const n of [2, 3, 4]) trail.append(n)
    await trail.flush()
    await first
    expect(r.batches).toEqual([[1], [2, 3], [4]])
  })

  it('flush resolves only when everything appended before it is stored', async () => {
    const r = recorder()
    const trail = new AuditTrail(r.write, { maxDelayMs: 60_000 })
    for (const n of [1, 2]) trail.append(n)
    await trail.flush()
    expect(r.batches.flat()).toEqual([1, 2])
    await trail.flush() // nothing waits: resolves at once
  })

  it('splits a batch the database refuses for one row, stores that row sanitized and every other as is', async () => {
    const stored: number[] = []
    const write = async (rows: number[]) => {
      if (rows.includes(13))
        throw Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' })
      stored.push(...rows)
    }
    const trail = new AuditTrail(write, { sanitize: (n) => -n, maxDelayMs: 1 })
    const all = Array.from({ length: 20 }, (_, i) => trail.append(i + 1))
    await Promise.all(all)
    expect(stored).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1 === 13 ? -13 : i + 1)))
    expect(trail.stats).toMatchObject({ written: 20, lost: 0, spooled: 0 })
  })

  it('retries an outage with capped backoff for as long as it lasts, then writes the spool in order', async () => {
    let down = true
    const stored: number[] = []
    const write = async (rows: number[]) => {
      if (down) throw Object.assign(new Error('terminating connection'), { code: '57P01' })
      stored.push(...rows)
    }
    const trail = new AuditTrail(write, {
      isOutage: () => true,
      retryDelayMs: 1,
      maxRetryDelayMs: 2,
      maxBatch: 3,
    })
    for (let n = 1; n <= 10; n++) await trail.append(n, { urgent: n % 2 === 0 })
    // Far more failed attempts than a 150 ms retry budget would ever make: the trail never gives up.
    await vi.waitFor(() => expect(trail.stats.failedAttempts).toBeGreaterThan(50), { timeout: 10_000 })
    expect(stored).toEqual([])
    expect(trail.stats).toMatchObject({ spooled: 10, lost: 0 })
    down = false
    trail.append(11)
    await vi.waitFor(() => expect(stored).toHaveLength(11), { timeout: 5000 })
    expect(stored).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(trail.stats).toMatchObject({ written: 11, spooled: 0, lost: 0, failingSince: null })
  })

  it('counts the rows a full spool cannot take, and rejects only those', async () => {
    const trail = new AuditTrail(
      async () => {
        throw new Error('connection refused')
      },
      { isOutage: () => true, maxSpoolRows: 3, retryDelayMs: 60_000 },
    )
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => trail.append(n, { urgent: true })))
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ])
    expect(trail.stats).toMatchObject({ spooled: 3, dropped: 2, lost: 2 })
    await trail.close(10)
  })

  it('keeps spooled rows on disk across a restart and writes them first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-spool-'))
    try {
      const first = new AuditTrail<number>(
        async () => {
          throw new Error('connection refused')
        },
        { isOutage: () => true, spool: new DiskSpool(dir), retryDelayMs: 60_000 },
      )
      await first.open()
      for (const n of [1, 2, 3]) await first.append(n, { urgent: true })
      expect(await first.close(100)).toBe(3)
      expect((await readdir(dir)).length).toBe(3)

      const stored: number[] = []
      const second = new AuditTrail<number>(async (rows) => void stored.push(...rows), {
        spool: new DiskSpool(dir),
      })
      await second.open()
      await second.append(4, { urgent: true })
      await vi.waitFor(() => expect(stored).toEqual([1, 2, 3, 4]))
      expect(await readdir(dir)).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('auditTimestamp is strictly increasing ISO time with microseconds', () => {
    const stamps = Array.from({ length: 5_000 }, () => auditTimestamp())
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true)
    expect(stamps[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    expect(Math.abs(Date.parse(stamps[0]!) - Date.now())).toBeLessThan(60_000)
  })
})

describe.each(DB_KINDS)('UebaAgent on %s', (kind) => {
  let h: DbHandle
  let repos: Repositories

  beforeAll(async () => {
    h = await createTestDatabase(kind)
    repos = createRepositories(h.db)
  })
  afterAll(() => h.close())

  const stored = () => h.db.selectFrom('ueba_logs').selectAll().orderBy('seq').execute()

  it('stores a blocked attempt before answering, and allowed ones by the next flush, in order', async () => {
    const told: string[] = []
    const ueba = new UebaAgent(repos.ueba, {
      onLogged: (log) => told.push(`${log.status} ${log.target_node}`),
    })
    const runId = '6a1f6a4e-3d55-4d43-9c9e-0c3a5b8f0b11'
    const a = await ueba.gate('data_analysis', 'diagnosis', { runId })
    const b = await ueba.gate('diagnosis', 'customer_engagement', { runId })
    expect([a.allowed, b.allowed]).toEqual([true, true])
    const blocked = await ueba.authorizeWrite('customer_engagement', 'manufacturing_insights', { runId })
    expect(blocked.allowed).toBe(false)
    // The blocked attempt's write carried the two allowed ones with it.
    expect((await stored()).map((l) => [l.status, l.target_node, l.run_id])).toEqual([
      ['ALLOWED', 'diagnosis', runId],
      ['ALLOWED', 'customer_engagement', runId],
      ['BLOCKED', 'manufacturing_insights', runId],
    ])
    expect(told).toEqual([
      'ALLOWED diagnosis',
      'ALLOWED customer_engagement',
      'BLOCKED manufacturing_insights',
    ])

    const end = await ueba.gate('rca', END, { runId })
    await ueba.flush()
    const rows = await stored()
    expect(rows.at(-1)).toMatchObject({
      id: end.log.id,
      status: 'ALLOWED',
      source_node: 'rca',
      target_node: 'END',
    })
    expect(rows.at(-1)?.timestamp.getTime()).toBe(end.log.timestamp.getTime())
    expect(ueba.auditStats).toMatchObject({ lost: 0 })
  })

  it('stores a row with a dangling or forged user id, and loses no other row of its batch', async () => {
    const ueba = new UebaAgent(repos.ueba)
    const user = await repos.users.createUser({
      email: 'gone@example.com',
      password_hash: 'x',
      role: 'customer',
    })
    await h.db.deleteFrom('users').where('id', '=', user.id).execute()
    const before = (await stored()).length
    const actor = { kind: 'user' as const, id: user.id, label: 'customer' }
    const events = [
      { userId: user.id, reason: 'deleted user' },
      { userId: 'forged-id-not-a-uuid', reason: 'forged' },
      { userId: null, vehicleId: '00000000-0000-4000-8000-000000000000', reason: 'no such vehicle' },
      { userId: null, details: { probe: 'nul\u0000byte' }, reason: 'NUL in details' },
    ]
    for (const e of events) {
      ueba.record({ ...e, actor, action: 'api_request', resource: 'GET /api/vehicles', decision: 'BLOCKED' })
    }
    await ueba.flush()
    const rows = (await stored()).slice(before)
    expect(rows.map((r) => r.reason)).toEqual(events.map((e) => e.reason))
    expect(rows[0]).toMatchObject({ user_id: user.id, actor_id: user.id })
    expect(rows[1]).toMatchObject({ user_id: null, details: { claimed_user_id: 'forged-id-not-a-uuid' } })
    expect(rows[2]?.vehicle_id).toBe('00000000-0000-4000-8000-000000000000')
    expect(rows[3]?.details).toEqual({ probe: 'nul\uFFFDbyte' })
    expect(ueba.auditStats).toMatchObject({ lost: 0, written: 4 })
  })

  it('keeps every row through an outage and writes them in order when the database returns', async () => {
    let down = false
    const outage = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
    const faulty = {
      insertUebaLogs: (rows: NewUebaLog[], o?: AppendOptions) =>
        down ? Promise.reject(outage()) : repos.ueba.insertUebaLogs(rows, o),
    }
    const ueba = new UebaAgent(faulty, undefined, { retryDelayMs: 5, maxRetryDelayMs: 20 })
    const before = (await stored()).length
    down = true
    const refusals: UebaLogEntry[] = []
    for (let i = 0; i < 5; i++) {
      // A refusal during the outage is answered once it is spooled, not held until the database returns.
      refusals.push(await ueba.logAttempt('scheduling', `refusal-${i}`, 'BLOCKED', {}, 'write'))
      ueba.gate('data_analysis', 'diagnosis', { runId: `run-${i}` })
    }
    await ueba.flush()
    expect(ueba.auditStats).toMatchObject({ spooled: 10, lost: 0, spool: 'memory' })
    expect(ueba.auditStats.failingSince).not.toBeNull()
    await new Promise((r) => setTimeout(r, 100)) // a few retries fail meanwhile
    expect(ueba.auditStats.failedAttempts).toBeGreaterThan(2)
    down = false
    await vi.waitFor(() => expect(ueba.auditStats.spooled).toBe(0), { timeout: 5000 })
    const rows = (await stored()).slice(before)
    expect(rows.map((r) => r.target_node)).toEqual(
      [0, 1, 2, 3, 4].flatMap((i) => [`refusal-${i}`, 'diagnosis']),
    )
    expect(rows.map((r) => r.id).filter((id) => refusals.some((x) => x.id === id))).toHaveLength(5)
    expect(ueba.auditStats).toMatchObject({ lost: 0, failingSince: null })
  })
})
