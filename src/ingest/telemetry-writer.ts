import { copyField, type DbHandle } from '../db/client.js'

export interface TelemetryRow {
  vehicleId: string
  /** ISO-8601 timestamp of the reading. */
  ts: string
  data: Record<string, unknown>
  /** `JSON.stringify(data)`, when the caller has it already (the pipeline shares it with the WebSocket hub). */
  json?: string
}

export interface TelemetryWriterOptions {
  /** Flush when this many rows are waiting. */
  batchSize?: number
  /** ...or when the oldest waiting row is this old. */
  flushIntervalMs?: number
  /** Rows kept while the database is failing; past this the oldest are dropped and counted. */
  maxBuffered?: number
  /**
   * Batches written at the same time, each on its own pool connection, while full batches wait
   * (PGlite, with one connection, runs them one after the other). Default 2.
   */
  concurrency?: number
  onError?: (err: unknown, attempt: number) => void
}

export interface TelemetryWriterStats {
  written: number
  pending: number
  batches: number
  failedAttempts: number
  dropped: number
  /** The last attempt failed: rows wait and are retried with backoff (`/api/health` says degraded). */
  failing: boolean
  lastError: string | null
  lastErrorAt: string | null
}

interface FlushSession {
  promise: Promise<void>
  resolve: () => void
  failed: boolean
}

const COLUMNS = ['vehicle_id', 'ts', 'sensor_data'] as const

/**
 * Writes readings to `telemetry_logs` in batches: one COPY per batch (`DbHandle.copyIn`, on `pg`
 * and PGlite alike), never a write per reading.
 * While full batches wait, up to `concurrency` are written at once, so that PostgreSQL parses
 * and indexes one batch while the next is sent. A failed batch keeps its rows, retries with
 * backoff and shows up in the stats (and so in /api/health); only a buffer overflow during a long
 * outage drops rows, and those are counted.
 */
export class TelemetryWriter {
  /**
   * Rows waiting, each already as its line of COPY text. Serializing on `add` rather than at flush
   * time costs the same, but the reading objects then die young instead of waiting (and being
   * promoted to the old generation) behind a slow database; a string has nothing for the GC to trace.
   */
  private buffer: string[] = []
  private timer: NodeJS.Timeout | undefined
  /** The current flush: it ends when the buffer is empty and no batch is in flight, or a batch failed. */
  private session: FlushSession | undefined
  private inFlight = 0
  private retryDelayMs = 0
  private closed = false
  private readonly batchSize: number
  private readonly flushIntervalMs: number
  private readonly maxBuffered: number
  private readonly concurrency: number
  private readonly stats_: TelemetryWriterStats = {
    written: 0,
    pending: 0,
    batches: 0,
    failedAttempts: 0,
    dropped: 0,
    failing: false,
    lastError: null,
    lastErrorAt: null,
  }

  constructor(
    private readonly db: Pick<DbHandle, 'copyIn'>,
    private readonly options: TelemetryWriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000
    this.flushIntervalMs = options.flushIntervalMs ?? 250
    this.maxBuffered = options.maxBuffered ?? 200_000
    this.concurrency = Math.max(1, options.concurrency ?? 2)
  }

  get stats(): TelemetryWriterStats {
    return { ...this.stats_, pending: this.buffer.length, failing: this.retryDelayMs > 0 }
  }

  add(row: TelemetryRow): void {
    if (this.closed) return
    this.buffer.push(
      `${copyField(row.vehicleId)}\t${copyField(row.ts)}\t${copyField(row.json ?? JSON.stringify(row.data))}\n`,
    )
    if (this.buffer.length > this.maxBuffered) {
      // The oldest 1% at once: shifting one row off a full buffer per reading would copy it all each time.
      const excess = Math.max(this.buffer.length - this.maxBuffered, Math.ceil(this.maxBuffered / 100))
      this.buffer.splice(0, excess)
      this.stats_.dropped += excess
    }
    if (this.buffer.length >= this.batchSize && this.retryDelayMs === 0) void this.flush()
    else this.schedule(this.retryDelayMs || this.flushIntervalMs)
  }

  /** Writes everything waiting now; resolves when written or when an attempt failed. */
  flush(): Promise<void> {
    if (!this.session) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => {
        resolve = r
      })
      this.session = { promise, resolve, failed: false }
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const { promise } = this.session
    this.startBatches()
    if (this.inFlight === 0) this.endSession()
    return promise
  }

  /**
   * Takes no more rows and writes what is left, retrying with the same backoff while the database
   * fails, until everything is written or `timeoutMs` (default 5000) has passed; what is still
   * waiting then shows in `stats.pending`.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 5000)
    this.closed = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.session?.promise
    while (this.buffer.length > 0) {
      await this.flush()
      if (this.buffer.length === 0 || Date.now() + this.retryDelayMs >= deadline) return
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs))
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, delayMs)
    this.timer.unref()
  }

  /** One batch whenever none is in flight; more, up to the concurrency, only for full batches. */
  private startBatches(): void {
    const session = this.session
    if (!session) return
    while (
      !session.failed &&
      this.buffer.length > 0 &&
      this.inFlight < this.concurrency &&
      (this.inFlight === 0 || this.buffer.length >= this.batchSize)
    ) {
      this.inFlight++
      void this.write(session, this.buffer.splice(0, this.batchSize))
    }
  }

  private async write(session: FlushSession, batch: string[]): Promise<void> {
    try {
      await this.insert(batch)
      this.stats_.written += batch.length
      this.stats_.batches++
      this.retryDelayMs = 0
    } catch (err) {
      this.buffer.unshift(...batch)
      session.failed = true
      this.stats_.failedAttempts++
      this.stats_.lastError = err instanceof Error ? err.message : String(err)
      this.stats_.lastErrorAt = new Date().toISOString()
      this.retryDelayMs = Math.min(this.retryDelayMs ? this.retryDelayMs * 2 : 250, 5000)
      this.options.onError?.(err, this.stats_.failedAttempts)
    } finally {
      this.inFlight--
    }
    this.startBatches()
    if (this.inFlight > 0) return
    if (session.failed) this.schedule(this.retryDelayMs)
    this.endSession()
  }

  private endSession(): void {
    const session = this.session
    this.session = undefined
    session?.resolve()
  }

  private insert(batch: string[]): Promise<void> {
    return this.db.copyIn('telemetry_logs', COLUMNS, batch.join(''))
  }
}
