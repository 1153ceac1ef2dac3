import { END } from '@langchain/langgraph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditTrail, auditTimestamp } from '../../../src/agents/ueba/audit.js'
import { UebaAgent } from '../../../src/agents/ueba/gate.js'
import type { DbHandle } from '../../../src/db/client.js'
import { createRepositories, type Repositories } from '../../../src/db/repositories/index.js'
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

  it('retries a failed write with backoff and reports each failure', async () => {
    const r = recorder(2)
    const errors: number[] = []
    const trail = new AuditTrail(r.write, { retryDelayMs: 1, onError: (_e, attempt) => errors.push(attempt) })
    await trail.append(7, { urgent: true })
    expect(r.batches).toEqual([[7]])
    expect(errors).toEqual([1, 2])
    expect(trail.stats).toMatchObject({ written: 1, failedAttempts: 2, lost: 0, lastError: 'disk full (2)' })
  })

  it('rejects the attempts of a batch that fails every retry, counts them lost, and keeps working', async () => {
    const r = recorder(3)
    const trail = new AuditTrail(r.write, { attempts: 3, retryDelayMs: 1 })
    const lost = trail.append(1, { urgent: true })
    await expect(lost).rejects.toThrow('disk full (3)')
    await expect(trail.flush()).resolves.toBeUndefined()
    expect(trail.stats).toMatchObject({ written: 0, lost: 1, failedAttempts: 3 })
    await trail.append(2, { urgent: true })
    expect(r.batches).toEqual([[2]])
    expect(trail.stats).toMatchObject({ written: 1, lost: 1 })
  })

  it('a flush waiting on a lost batch rejects, so a run cannot end believing its trail is stored', async () => {
    const r = recorder(1)
    const trail = new AuditTrail(r.write, { attempts: 1, maxDelayMs: 60_000 })
    trail.append(1)
    await expect(trail.flush()).rejects.toThrow('disk full (1)')
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

  const stored = () => h.db.selectFrom('ueba_logs').selectAll().orderBy('timestamp').execute()

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

  it('surfaces a write the database refuses instead of swallowing it', async () => {
    const ueba = new UebaAgent(repos.ueba, undefined, { attempts: 2, retryDelayMs: 1 })
    // A vehicle that does not exist violates ueba_logs' foreign key.
    const missing = '00000000-0000-4000-8000-000000000000'
    await expect(
      ueba.logAttempt('scheduling', 'service_bookings', 'BLOCKED', { vehicleId: missing }, 'write'),
    ).rejects.toThrow()
    expect(ueba.auditStats).toMatchObject({ lost: 1, failedAttempts: 2 })
    expect(ueba.auditStats.lastError).toBeTruthy()
  })
})
