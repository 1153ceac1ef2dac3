import { MemorySpool, type Spool } from './spool.js'

export interface AuditTrailStats {
  written: number
  /** Appended, neither stored nor spooled yet. */
  pending: number
  batches: number
  failedAttempts: number
  /** Rows waiting in the spool for the database to come back. */
  spooled: number
  spool: 'disk' | 'memory'
  /** Rows that did not fit in the spool (the loss is counted, never silent). */
  dropped: number
  /** Every row given up on: `dropped` and any the spool could not take. */
  lost: number
  /** Since when writes have been failing (ISO), null while they succeed. */
  failingSince: string | null
  lastError: string | null
}

export interface AuditTrailOptions<T> {
  maxBatch?: number
  /** How long an attempt that nobody waits for may stay unwritten. Default 50 ms. */
  maxDelayMs?: number
  /** First wait before the spool is retried, doubled each failure up to `maxRetryDelayMs`. Default 100. */
  retryDelayMs?: number
  maxRetryDelayMs?: number
  /** Where rows wait during an outage; default in memory. */
  spool?: Spool<T>
  /** Rows the spool may hold; past it rows are dropped and counted. Default 100,000. */
  maxSpoolRows?: number
  /** True for errors that mean the database is away (the batch is not at fault): no splitting. */
  isOutage?: (err: unknown) => boolean
  /** A version of a row the database refused that it will take (references moved into details, ...). */
  sanitize?: (row: T) => T
  onError?: (err: unknown, attempt: number) => void
}

export type AuditWrite<T> = (rows: T[], options: { dedupe: boolean }) => Promise<unknown>

interface Entry<T> {
  row: T
  resolve: () => void
  reject: (err: unknown) => void
  promise: Promise<void>
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

/**
 * The UEBA log's write path, as a group commit that never drops a row quietly. An attempt that
 * somebody waits for (`urgent`) and `flush()` start a write at once; other attempts wait for
 * that, or at most `maxDelayMs`, and go in one INSERT.
 *
 * A batch the database refuses for its content is split until the refused row is alone, which is
 * then stored sanitized: one bad row never takes its batch with it. While the database is away,
 * rows go to the spool (in order, behind what already waits there) and the spool is retried with
 * backoff for as long as it takes, oldest segment first, before anything newer is written. An
 * `append` resolves once its row is stored or spooled; it rejects only for a row that was lost
 * (spool full), which is also counted in `dropped`.
 */
export class AuditTrail<T> {
  private queue: Entry<T>[] = []
  private inFlight: Entry<T>[] = []
  private running: Promise<void> | null = null
  private timer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private retryAt = 0
  private delay: number
  private closed = false
  private readonly spool: Spool<T>
  private readonly o: Required<Omit<AuditTrailOptions<T>, 'spool' | 'onError' | 'sanitize'>>
  private readonly stats_ = {
    written: 0,
    batches: 0,
    failedAttempts: 0,
    dropped: 0,
    lost: 0,
    failingSince: null as string | null,
    lastError: null as string | null,
  }

  constructor(
    private readonly write: AuditWrite<T>,
    private readonly options: AuditTrailOptions<T> = {},
  ) {
    this.o = {
      maxBatch: options.maxBatch ?? 500,
      maxDelayMs: options.maxDelayMs ?? 50,
      retryDelayMs: options.retryDelayMs ?? 100,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 5000,
      maxSpoolRows: options.maxSpoolRows ?? 100_000,
      isOutage: options.isOutage ?? (() => false),
    }
    this.delay = this.o.retryDelayMs
    this.spool = options.spool ?? new MemorySpool<T>()
  }

  get stats(): AuditTrailStats {
    return {
      ...this.stats_,
      pending: this.queue.length + this.inFlight.length,
      spooled: this.spool.rows,
      spool: this.spool.kind,
    }
  }

  /** Picks up what an earlier process left in the spool, and writes it first. */
  async open(): Promise<void> {
    if ((await this.spool.open()) > 0) this.start()
  }

  append(row: T, { urgent = false } = {}): Promise<void> {
    let resolve!: () => void
    let reject!: (err: unknown) => void
    const promise = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    // Callers that do not wait must not turn a loss into an unhandled rejection; it is counted.
    promise.catch(() => {})
    this.queue.push({ row, resolve, reject, promise })
    if (urgent) this.start()
    else if (!this.timer) {
      this.timer = setTimeout(() => this.start(), this.o.maxDelayMs)
      this.timer.unref()
    }
    return promise
  }

  /** Resolves when every row appended before the call is stored or spooled; rejects if one was lost. */
  async flush(): Promise<void> {
    const waiting = [...this.inFlight, ...this.queue]
    if (this.queue.length > 0) this.start()
    await Promise.all(waiting.map((e) => e.promise))
  }

  /**
   * Stops retrying: what waits is spooled (on disk it is written by the next start) within
   * `timeoutMs`. Resolves with the rows left unwritten (spooled or not).
   */
  async close(timeoutMs = 5000): Promise<number> {
    await Promise.race([this.flush().catch(() => undefined), sleep(timeoutMs)])
    this.closed = true
    this.wake?.()
    return this.queue.length + this.inFlight.length + this.spool.rows
  }

  private start(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.running) this.wake?.()
    else this.running = this.drain()
  }

  private async drain(): Promise<void> {
    // Let the rest of this turn's attempts (other runs ending now) join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve))
    while (!this.closed || this.queue.length > 0) {
      if (this.spool.rows > 0) {
        // Behind what waits already, in order.
        if (this.queue.length > 0) {
          await this.toSpool(this.queue.splice(0))
          continue
        }
        if (this.closed) break
        const wait = this.retryAt - Date.now()
        if (wait > 0) {
          await this.pause(wait)
          continue
        }
        const rows = (await this.spool.peek()) ?? []
        if ((await this.store(rows, true)) === 'stored') {
          await this.spool.shift()
          this.recovered()
        } else this.backoff()
        continue
      }
      if (this.queue.length === 0) break
      this.inFlight = this.queue.splice(0, this.o.maxBatch)
      const batch = this.inFlight
      if (
        (await this.store(
          batch.map((e) => e.row),
          false,
        )) === 'stored'
      ) {
        this.recovered()
        for (const e of batch) e.resolve()
      } else {
        this.backoff()
        await this.toSpool(batch)
      }
      this.inFlight = []
    }
    this.running = null
  }

  /** Writes `rows`; splits a batch the database refuses for its content, down to the one bad row. */
  private async store(rows: T[], dedupe: boolean): Promise<'stored' | 'outage'> {
    if (rows.length === 0) return 'stored'
    try {
      await this.write(rows, { dedupe })
      this.stats_.written += rows.length
      this.stats_.batches++
      return 'stored'
    } catch (err) {
      this.failed(err)
      if (this.o.isOutage(err)) return 'outage'
    }
    if (rows.length > 1) {
      const half = Math.ceil(rows.length / 2)
      // A half stored before an outage is skipped by the spool's replay (dedupe by id).
      if ((await this.store(rows.slice(0, half), true)) === 'outage') return 'outage'
      return this.store(rows.slice(half), true)
    }
    const fixed = this.options.sanitize?.(rows[0]!)
    if (!fixed) return 'outage'
    try {
      await this.write([fixed], { dedupe: true })
      this.stats_.written++
      this.stats_.batches++
      return 'stored'
    } catch (err) {
      // Even the plainest form of the row is refused: the database is not taking writes at all.
      this.failed(err)
      return 'outage'
    }
  }

  private async toSpool(entries: Entry<T>[]): Promise<void> {
    const room = Math.max(0, this.o.maxSpoolRows - this.spool.rows)
    const kept = entries.slice(0, room)
    const lost = entries.slice(room)
    for (let i = 0; i < kept.length; i += this.o.maxBatch) {
      const chunk = kept.slice(i, i + this.o.maxBatch)
      try {
        await this.spool.push(chunk.map((e) => e.row))
        for (const e of chunk) e.resolve()
      } catch (err) {
        this.failed(err)
        lost.push(...chunk)
      }
    }
    if (lost.length === 0) return
    this.stats_.dropped += lost.length
    this.stats_.lost += lost.length
    const err = new Error(`audit spool full: ${lost.length} rows lost`)
    this.options.onError?.(err, 0)
    for (const e of lost) e.reject(err)
  }

  private failed(err: unknown): void {
    this.stats_.failedAttempts++
    this.stats_.lastError = err instanceof Error ? err.message : String(err)
    this.stats_.failingSince ??= new Date().toISOString()
    this.options.onError?.(err, this.stats_.failedAttempts)
  }

  private recovered(): void {
    this.delay = this.o.retryDelayMs
    this.retryAt = 0
    this.stats_.failingSince = null
  }

  private backoff(): void {
    this.retryAt = Date.now() + this.delay
    this.delay = Math.min(this.delay * 2, this.o.maxRetryDelayMs)
  }

  /** Waits `ms`, or less when an urgent append, a flush or a due batch needs the spool to take rows. */
  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.queue.length > 0 ? Math.min(ms, this.o.maxDelayMs) : ms)
      t.unref()
      this.wake = () => {
        clearTimeout(t)
        resolve()
      }
    })
    this.wake = undefined
  }
}

let lastMicros = 0

/**
 * Wall-clock time with microseconds, strictly increasing within the process, as an ISO string:
 * the rows of one group commit keep the order in which their attempts happened.
 */
export function auditTimestamp(): string {
  let us = Date.now() * 1000
  if (us <= lastMicros) us = lastMicros + 1
  lastMicros = us
  const ms = Math.floor(us / 1000)
  return `${new Date(ms).toISOString().slice(0, 23)}${String(us % 1000).padStart(3, '0')}Z`
}
