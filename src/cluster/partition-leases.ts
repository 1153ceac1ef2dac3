import type { KV } from '@nats-io/kv'
import type { FastifyBaseLogger } from 'fastify'

/** What the worker does when a partition comes or goes. */
export interface LeaseHooks {
  /** The lease is ours: rebuild the partition's vehicles from the database, start consuming. */
  acquired(partition: number): Promise<void>
  /** Handing over: stop consuming and let what is in flight commit, before the lease is let go. */
  release(partition: number): Promise<void>
  /** Taken away (a renewal failed: we were too slow or cut off): stop consuming at once. */
  lost(partition: number): void
}

export interface LeaseStats {
  owned: number[]
  workers: number
  acquired: number
  released: number
  lost: number
  failedRounds: number
  lastRenewedAt: string | null
}

const partitionKey = (p: number) => `partitions.${p}`
const workerKey = (id: string) => `workers.${id}`

/**
 * Partition ownership through a JetStream key-value bucket whose entries expire after the lease
 * TTL (nats-server 2.9 has bucket-level TTL, not per-key TTL, which is all a lease needs): a
 * worker creates `partitions.<n>` (fails if anyone holds it), renews it by compare-and-set on
 * its revision every third of the TTL, and lets it go on a graceful stop. A dead worker stops
 * renewing, its keys expire, and the others create them. Each worker heartbeats `workers.<id>`
 * too and holds at most ceil(partitions / live workers), so a newcomer gets its share: the others
 * hand over their surplus.
 */
export class PartitionLeases {
  private readonly owned = new Map<number, number>()
  private timer: NodeJS.Timeout | undefined
  private round_: Promise<void> | undefined
  private stopped = false
  private lastRenew = 0
  private readonly counts = { workers: 0, acquired: 0, released: 0, lost: 0, failedRounds: 0 }

  constructor(
    private readonly kv: KV,
    private readonly options: { id: string; partitions: number; ttlMs: number; log: FastifyBaseLogger },
    private readonly hooks: LeaseHooks,
  ) {}

  get stats(): LeaseStats {
    return {
      owned: [...this.owned.keys()].sort((a, b) => a - b),
      ...this.counts,
      lastRenewedAt: this.lastRenew ? new Date(this.lastRenew).toISOString() : null,
    }
  }

  /** The partitions held right now. */
  get partitions(): number[] {
    return [...this.owned.keys()]
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), Math.max(100, Math.floor(this.options.ttlMs / 3)))
    this.tick()
  }

  private tick(): void {
    if (this.round_ || this.stopped) return
    this.round_ = this.round()
      .catch((err) => {
        this.counts.failedRounds++
        this.options.log.warn({ err }, 'partition lease round failed; retrying')
      })
      .finally(() => {
        this.round_ = undefined
      })
  }

  private async round(): Promise<void> {
    await this.renew()
    const target = Math.ceil(this.options.partitions / Math.max(1, await this.liveWorkers()))
    while (this.owned.size > target && !this.stopped) await this.handOver(Math.max(...this.owned.keys()))
    // Start at a place of our own, so that workers starting together do not race for the same keys.
    const offset = [...this.options.id].reduce((h, c) => h + c.charCodeAt(0), 0) % this.options.partitions
    for (let i = 0; i < this.options.partitions && this.owned.size < target && !this.stopped; i++) {
      const p = (offset + i) % this.options.partitions
      if (this.owned.has(p)) continue
      if (Date.now() - this.lastRenew > this.options.ttlMs / 3) await this.renew()
      const revision = await this.kv.create(partitionKey(p), this.options.id).catch(() => undefined)
      if (revision === undefined) continue
      this.owned.set(p, revision)
      this.counts.acquired++
      try {
        await this.hooks.acquired(p)
        this.options.log.info({ partition: p }, 'partition acquired')
      } catch (err) {
        this.options.log.error({ err, partition: p }, 'partition take-over failed; letting it go')
        await this.handOver(p)
      }
    }
  }

  private async renew(): Promise<void> {
    const started = Date.now()
    await this.kv.put(workerKey(this.options.id), JSON.stringify({ at: new Date(started).toISOString() }))
    for (const [p, revision] of this.owned) {
      try {
        this.owned.set(p, await this.kv.update(partitionKey(p), this.options.id, revision))
      } catch (err) {
        this.owned.delete(p)
        this.counts.lost++
        this.options.log.warn({ err, partition: p }, 'partition lease lost')
        this.hooks.lost(p)
      }
    }
    this.lastRenew = started
  }

  private async liveWorkers(): Promise<number> {
    let n = 0
    for await (const _ of await this.kv.keys('workers.*')) n++
    this.counts.workers = n
    return n
  }

  private async handOver(p: number): Promise<void> {
    await this.hooks.release(p)
    const revision = this.owned.get(p)
    this.owned.delete(p)
    this.counts.released++
    if (revision !== undefined)
      await this.kv.delete(partitionKey(p), { previousSeq: revision }).catch(() => {})
    this.options.log.info({ partition: p }, 'partition handed over')
  }

  /** Stops renewing; every partition is handed over (after its in-flight readings commit). */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.round_
    for (const p of [...this.owned.keys()]) await this.handOver(p)
    await this.kv.delete(workerKey(this.options.id)).catch(() => {})
  }
}
