import { GENESIS_HASH, linkHash } from '../../db/audit-chain.js'
import type { UebaRepository } from '../../db/repositories/ueba.js'

/** The first link that does not hold, and how. */
export interface ChainBreak {
  /**
   * `content_changed`: the row's content no longer gives its hash (an UPDATE, or a forged row);
   * `link_broken`: its `prev_hash` is not the previous row's hash; `sequence_broken`: a position is
   * missing or out of place (a DELETE); `head_mismatch`: the last rows are gone or the head was moved.
   */
  problem: 'content_changed' | 'link_broken' | 'sequence_broken' | 'head_mismatch'
  /** The chain position where it breaks. */
  seq: string
  /** The row found there (for a deleted row: the one after the gap), null past the end. */
  id: string | null
  timestamp: string | null
  expected: string | null
  found: string | null
}

export interface ChainReport {
  ok: boolean
  /** Rows checked. */
  checked: number
  head: { seq: string; hash: string | null }
  /** Rows from before the chain that the next append will hash (nothing to check yet). */
  unhashed: number
  first_broken: ChainBreak | null
  verified_at: string
}

/**
 * Recomputes the chain from the first row to the head read at the start (rows appended meanwhile
 * wait for the next verification), page by page, and names the first link that does not hold.
 */
export async function verifyChain(
  repo: Pick<UebaRepository, 'chainHead' | 'chainPage'>,
  key?: string,
  pageSize = 2000,
): Promise<ChainReport> {
  const head = (await repo.chainHead()) ?? { seq: '0', hash: null }
  const report = (checked: number, first_broken: ChainBreak | null, unhashed = 0): ChainReport => ({
    ok: first_broken === null,
    checked,
    head: { seq: String(head.seq), hash: head.hash },
    unhashed,
    first_broken,
    verified_at: new Date().toISOString(),
  })
  if (head.hash === null) return report(0, null, Number(head.seq))
  let prev = GENESIS_HASH
  let expected = 1n
  let checked = 0
  let after = '0'
  for (;;) {
    const rows = await repo.chainPage(after, pageSize, String(head.seq))
    for (const row of rows) {
      const at = { id: row.id, timestamp: row.timestamp }
      if (BigInt(row.seq) !== expected) {
        return report(checked, {
          problem: 'sequence_broken',
          seq: String(expected),
          ...at,
          expected: `seq ${expected}`,
          found: `seq ${row.seq}`,
        })
      }
      if (row.prev_hash !== prev) {
        return report(checked, {
          problem: 'link_broken',
          seq: row.seq,
          ...at,
          expected: prev,
          found: row.prev_hash,
        })
      }
      const hash = linkHash(prev, row, key)
      if (hash !== row.hash) {
        // Expected: what the chain recorded; found: what the row's content hashes to now.
        return report(checked, {
          problem: 'content_changed',
          seq: row.seq,
          ...at,
          expected: row.hash,
          found: hash,
        })
      }
      prev = hash
      expected++
      checked++
    }
    if (rows.length < pageSize) break
    after = rows.at(-1)!.seq
  }
  if (String(expected - 1n) !== String(head.seq) || prev !== head.hash) {
    return report(checked, {
      problem: 'head_mismatch',
      seq: String(head.seq),
      id: null,
      timestamp: null,
      expected: head.hash,
      found: checked === 0 ? null : prev,
    })
  }
  return report(checked, null)
}
