import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { UebaAgent } from '../../../src/agents/ueba/gate.js'
import { verifyChain } from '../../../src/agents/ueba/verify.js'
import type { DbHandle } from '../../../src/db/client.js'
import { createRepositories, type Repositories } from '../../../src/db/repositories/index.js'
import { createTestDatabase, DB_KINDS } from '../../helpers/db.js'

describe.each(DB_KINDS)('the audit hash chain on %s', (kind) => {
  let h: DbHandle
  let repos: Repositories

  beforeAll(async () => {
    h = await createTestDatabase(kind)
    repos = createRepositories(h.db)
  })
  afterAll(() => h.close())
  beforeEach(async () => {
    await sql`TRUNCATE ueba_logs`.execute(h.db)
    await sql`UPDATE ueba_chain SET seq = 0, hash = NULL`.execute(h.db)
  })

  /** Ten rows: transitions allowed, every third one a blocked write. */
  async function tenRows(ueba = new UebaAgent(repos.ueba)) {
    for (let i = 1; i <= 10; i++) {
      if (i % 3 === 0)
        await ueba.authorizeWrite('customer_engagement', 'manufacturing_insights', { runId: `r${i}` })
      else
        await ueba.gate('data_analysis', 'diagnosis', {
          runId: `r${i}`,
          details: { n: i, nested: { b: 1, a: [1.5, 'x'] } },
        })
    }
    await ueba.flush()
    return h.db.selectFrom('ueba_logs').select(['id', 'seq', 'status']).orderBy('seq').execute()
  }

  it('passes on an untouched log, and every row is one link of one chain', async () => {
    const rows = await tenRows()
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const report = await verifyChain(repos.ueba)
    expect(report).toMatchObject({ ok: true, checked: 10, head: { seq: '10' }, first_broken: null })
  })

  it('fails at the row whose BLOCKED was turned into ALLOWED', async () => {
    const rows = await tenRows()
    const target = rows.find((r) => r.status === 'BLOCKED' && String(r.seq) === '6')!
    await sql`UPDATE ueba_logs SET status = 'ALLOWED' WHERE id = ${target.id}`.execute(h.db)
    const { ok, first_broken } = await verifyChain(repos.ueba)
    expect(ok).toBe(false)
    expect(first_broken).toMatchObject({ problem: 'content_changed', seq: '6', id: target.id })
    expect(first_broken?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    expect(first_broken?.expected).not.toBe(first_broken?.found)
  })

  it('fails at the position of a deleted row, naming the row after the gap', async () => {
    const rows = await tenRows()
    await sql`DELETE FROM ueba_logs WHERE seq = 4`.execute(h.db)
    const { first_broken } = await verifyChain(repos.ueba)
    expect(first_broken).toMatchObject({
      problem: 'sequence_broken',
      seq: '4',
      id: rows[4]!.id,
      expected: 'seq 4',
      found: 'seq 5',
    })
  })

  it('fails when the newest rows are deleted, and at a row inserted behind the service’s back', async () => {
    await tenRows()
    await sql`DELETE FROM ueba_logs WHERE seq >= 9`.execute(h.db)
    expect((await verifyChain(repos.ueba)).first_broken).toMatchObject({
      problem: 'head_mismatch',
      seq: '10',
    })

    await sql`TRUNCATE ueba_logs`.execute(h.db)
    await sql`UPDATE ueba_chain SET seq = 0, hash = NULL`.execute(h.db)
    await tenRows()
    const last = await h.db
      .selectFrom('ueba_logs')
      .selectAll()
      .where('seq', '=', '10')
      .executeTakeFirstOrThrow()
    // A forged row that looks like the others, chained to the real last hash.
    await sql`INSERT INTO ueba_logs (agent_name, action_type, status, seq, prev_hash, hash)
      VALUES ('scheduling', 'write', 'ALLOWED', 11, ${last.hash}, ${'f'.repeat(64)})`.execute(h.db)
    await sql`UPDATE ueba_chain SET seq = 11, hash = ${'f'.repeat(64)}`.execute(h.db)
    expect((await verifyChain(repos.ueba)).first_broken).toMatchObject({
      problem: 'content_changed',
      seq: '11',
    })
  })

  it('with a key, a chain recomputed by someone without it does not verify', async () => {
    const key = 'a-chain-key-of-at-least-16-bytes'
    await tenRows(new UebaAgent(repos.ueba, undefined, { chainKey: key }))
    expect((await verifyChain(repos.ueba, key)).ok).toBe(true)
    expect((await verifyChain(repos.ueba)).first_broken).toMatchObject({
      problem: 'content_changed',
      seq: '1',
    })
  })

  it('two writers appending at once extend one chain, never fork it', async () => {
    const a = new UebaAgent(repos.ueba)
    const b = new UebaAgent(repos.ueba)
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).logAttempt('scheduling', `t${i}`, i % 5 ? 'ALLOWED' : 'BLOCKED', {}, 'write'),
      ),
    )
    const report = await verifyChain(repos.ueba, undefined, 7)
    expect(report).toMatchObject({ ok: true, checked: 40, head: { seq: '40' } })
  })

  it('hashes the rows stored before the chain existed on its first append', async () => {
    // As migration 0009 leaves an older log: positions given, no hashes, a head without one.
    await sql`INSERT INTO ueba_logs (agent_name, action_type, status, seq, "timestamp")
      VALUES ('rca', 'transition', 'ALLOWED', 1, '2025-01-01T00:00:00Z'), ('rca', 'write', 'BLOCKED', 2, '2025-01-01T00:00:01.5Z')`.execute(
      h.db,
    )
    await sql`UPDATE ueba_chain SET seq = 2, hash = NULL`.execute(h.db)
    expect(await verifyChain(repos.ueba)).toMatchObject({ ok: true, unhashed: 2 })
    await new UebaAgent(repos.ueba).logAttempt('rca', 'END', 'ALLOWED')
    expect(await verifyChain(repos.ueba)).toMatchObject({ ok: true, checked: 3, unhashed: 0 })
  })
})
