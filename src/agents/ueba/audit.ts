export interface AuditTrailStats {
  written: number
  pending: number
  batches: number
  failedAttempts: number
  /** Rows given up on after every retry failed; each failure was reported to `onError`. */
  lost: number
  lastError: string | null
}

export interface AuditTrailOptions {
  /** Attempts per batch before its rows are given up (and their promises rejected). Default 3. */
  attempts?: number
  /** Wait before the second attempt, doubled for each further one. Default 50 ms. */
  retryDelayMs?: number
  maxBatch?: number
  /** How long an attempt that nobody waits for may stay unwritten. Default 50 ms. */
  maxDelayMs?: number
  onError?: (err: unknown, attempt: number) => void
}

interface Entry<T> {
  row: T
  resolve: () => void
  reject: (err: unknown) => void
  promise: Promise<void>
}

/**
 * The UEBA log's write path, as a group commit. An attempt that somebody waits for (`urgent`,
 * e.g. a blocked one) and `flush()` start a write at once; other attempts wait for that, or at
 * most `maxDelayMs`. Everything waiting then goes in one INSERT, and attempts recorded while a
 * write is in flight go in the next. A graph run's five or six checks thus cost one round trip
 * (at its end) instead of one each.
 *
 * `append` resolves once the row is committed. The gate awaits that for what it blocks; a run
 * awaits `flush()` before it ends, so no run finishes before its audit trail is stored.
 */
export class AuditTrail<T> {
  private queue: Entry<T>[] = []
  private inFlight: Entry<T>[] = []
  private running: Promise<void> | null = null
  private timer: NodeJS.Timeout | undefined
  private readonly attempts: number
  private readonly retryDelayMs: number
  private readonly maxBatch: number
  private readonly maxDelayMs: number
  private readonly stats_: AuditTrailStats = {
    written: 0,
    pending: 0,
    batches: 0,
    failedAttempts: 0,
    lost: 0,
    lastError: null,
  }

  constructor(
    private readonly write: (rows: T[]) => Promise<void>,
    private readonly options: AuditTrailOptions = {},
  ) {
    this.attempts = Math.max(1, options.attempts ?? 3)
    this.retryDelayMs = options.retryDelayMs ?? 50
    this.maxBatch = options.maxBatch ?? 500
    this.maxDelayMs = options.maxDelayMs ?? 50
  }

  get stats(): AuditTrailStats {
    return { ...this.stats_, pending: this.queue.length + this.inFlight.length }
  }

  append(row: T, { urgent = false } = {}): Promise<void> {
    let resolve!: () => void
    let reject!: (err: unknown) => void
    const promise = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    // Callers that do not wait (allowed transitions) must not turn a failure into an unhandled
    // rejection; the failure is reported through `onError` and the stats instead.
    promise.catch(() => {})
    this.queue.push({ row, resolve, reject, promise })
    if (urgent) this.start()
    else if (!this.running && !this.timer) {
      this.timer = setTimeout(() => this.start(), this.maxDelayMs)
      this.timer.unref()
    }
    return promise
  }

  /** Writes what waits; resolves when every row appended before the call is committed, rejects if one was given up. */
  async flush(): Promise<void> {
    const waiting = [...this.inFlight, ...this.queue]
    if (this.queue.length > 0) this.start()
    await Promise.all(waiting.map((e) => e.promise))
  }

  private start(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.running ??= this.drain()
  }

  private async drain(): Promise<void> {
    // Let the rest of this turn's attempts (other runs ending now) join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve))
    while (this.queue.length > 0) {
      this.inFlight = this.queue.splice(0, this.maxBatch)
      const batch = this.inFlight
      try {
        await this.writeWithRetry(batch.map((e) => e.row))
        this.stats_.written += batch.length
        this.stats_.batches++
        for (const e of batch) e.resolve()
      } catch (err) {
        this.stats_.lost += batch.length
        for (const e of batch) e.reject(err)
      }
      this.inFlight = []
    }
    this.running = null
  }

  private async writeWithRetry(rows: T[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(rows)
        return
      } catch (err) {
        this.stats_.failedAttempts++
        this.stats_.lastError = err instanceof Error ? err.message : String(err)
        this.options.onError?.(err, attempt)
        if (attempt >= this.attempts) throw err
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)))
      }
    }
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
