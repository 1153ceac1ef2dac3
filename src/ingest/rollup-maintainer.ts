import { type BucketKey, HOUR_MS, type TelemetrySeries } from '../db/telemetry-series.js'
import type { TelemetryPartition } from '../db/telemetry-storage.js'

export interface RollupMaintainerOptions {
  /** Recompute this long after the first touch of a quiet spell, so a burst of batches is one job. */
  debounceMs?: number
  /** Buckets recomputed per statement. */
  chunkSize?: number
  /** Buckets starting before this instant are left alone: their raw days are being dropped (retention). */
  oldestKept?: () => Date | null
  log?: { error(obj: object, msg?: string): void; info(obj: object, msg?: string): void }
}

export interface RollupStats {
  pending: number
  recomputedBuckets: number
  jobs: number
  failedJobs: number
  lastRunAt: string | null
  lastError: string | null
  catchUp: {
    state: 'idle' | 'running' | 'done' | 'failed'
    from: string | null
    buckets: number
    ms: number | null
  }
}

/**
 * Keeps `telemetry_hourly` exact. The writer tells it, after each commit, which readings were new
 * (`touch`); it gathers their (vehicle, hour) buckets and, debounced, recomputes them from the raw
 * rows in chunks, one job at a time (two recomputes of one bucket never race, so the last one
 * written saw every committed row). At start (`catchUp`) it recomputes every hour from the newest
 * rolled-up one on, day by day, so rows committed before a crash but never rolled up are repaired.
 * A failed job keeps its buckets and is retried on the next touch or after the debounce.
 */
export class RollupMaintainer {
  private keys = new Map<string, BucketKey>()
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  private closed = false
  private readonly debounceMs: number
  private readonly chunkSize: number
  private readonly stats_: RollupStats = {
    pending: 0,
    recomputedBuckets: 0,
    jobs: 0,
    failedJobs: 0,
    lastRunAt: null,
    lastError: null,
    catchUp: { state: 'idle', from: null, buckets: 0, ms: null },
  }

  constructor(
    private readonly series: TelemetrySeries,
    private readonly partitions: () => Promise<TelemetryPartition[]>,
    private readonly options: RollupMaintainerOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 1000
    this.chunkSize = options.chunkSize ?? 2000
  }

  get stats(): RollupStats {
    return { ...this.stats_, pending: this.keys.size, catchUp: { ...this.stats_.catchUp } }
  }

  /**
   * The `readingKey`s (`vehicleId|epochMs`) of rows just committed. Read at once, not kept; never
   * throws (the writer calls it inside its commit bookkeeping).
   */
  touch(readingKeys: Iterable<string>): void {
    for (const key of readingKeys) {
      const bar = key.lastIndexOf('|')
      const vehicleId = key.slice(0, bar)
      const hour = Math.floor(Number(key.slice(bar + 1)) / HOUR_MS) * HOUR_MS
      const id = `${vehicleId}|${hour}`
      if (!this.keys.has(id)) this.keys.set(id, { vehicleId, bucket: new Date(hour) })
    }
    this.schedule()
  }

  /** Recomputes what is pending now (after any job in progress); resolves when done or failed. */
  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    return this.enqueue(() => this.recomputePending())
  }

  /** Resolves once every job queued so far (the catch-up, pending recomputes) has finished. */
  idle(): Promise<void> {
    return this.running
  }

  /**
   * Recomputes every bucket from the newest rolled-up hour on (everything when there are no
   * rollups), one day partition per statement. Queued like any job; `start` does not wait for it.
   */
  catchUp(): Promise<void> {
    return this.enqueue(async () => {
      const t0 = performance.now()
      const c = this.stats_.catchUp
      c.state = 'running'
      c.buckets = 0
      try {
        const newest = await this.series.newestBucket()
        const floor = this.options.oldestKept?.()?.getTime() ?? Number.NEGATIVE_INFINITY
        const from = Math.max(newest?.getTime() ?? Number.NEGATIVE_INFINITY, floor)
        c.from = Number.isFinite(from) ? new Date(from).toISOString() : null
        for (const p of await this.partitions()) {
          if (this.closed) break
          if (p.to.getTime() <= from) continue
          const lo = new Date(Math.max(p.from.getTime(), Math.ceil(from / HOUR_MS) * HOUR_MS))
          c.buckets += await this.series.recomputeRange(lo, p.to)
        }
        c.state = 'done'
        c.ms = Math.round(performance.now() - t0)
        if (c.buckets > 0) this.options.log?.info({ ...c }, 'telemetry rollups caught up')
      } catch (err) {
        c.state = 'failed'
        this.noteError(err)
        this.options.log?.error({ err }, 'telemetry rollup catch-up failed')
      }
    })
  }

  /** Recomputes what is left, then stops taking work. */
  async close(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
    if (this.keys.size > 0) await this.flush()
    this.closed = true
  }

  private schedule(): void {
    if (this.timer || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, this.debounceMs)
    this.timer.unref()
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.running = this.running.then(job)
    return this.running
  }

  private async recomputePending(): Promise<void> {
    if (this.keys.size === 0) return
    const floor = this.options.oldestKept?.()?.getTime() ?? Number.NEGATIVE_INFINITY
    const taken = [...this.keys.values()].filter((k) => k.bucket.getTime() >= floor)
    this.keys.clear()
    // Oldest first; a chunk that fails goes back with everything after it.
    taken.sort((a, b) => a.bucket.getTime() - b.bucket.getTime())
    for (let i = 0; i < taken.length; i += this.chunkSize) {
      const chunk = taken.slice(i, i + this.chunkSize)
      try {
        await this.series.recompute(chunk)
        this.stats_.recomputedBuckets += chunk.length
        this.stats_.jobs++
        this.stats_.lastRunAt = new Date().toISOString()
      } catch (err) {
        for (const k of taken.slice(i)) this.keys.set(`${k.vehicleId}|${k.bucket.getTime()}`, k)
        this.stats_.failedJobs++
        this.noteError(err)
        this.options.log?.error({ err, buckets: taken.length - i }, 'telemetry rollup failed; will retry')
        this.schedule()
        return
      }
    }
  }

  private noteError(err: unknown): void {
    this.stats_.lastError = err instanceof Error ? err.message : String(err)
  }
}
