import { copyField } from '../db/client.js'
import { readingKey, type TelemetryStorage } from '../db/telemetry-storage.js'

/** What became of a row: stored now, stored before (a retry or replay), or dropped by an overflow. */
export type WriteResult = 'stored' | 'duplicate' | 'dropped'

export interface TelemetryRow {
  vehicleId: string
  /** Canonical ISO-8601 UTC timestamp of the reading (`...Z`, milliseconds). */
  ts: string
  /** The sensor values in NUMERIC_FIELDS' order; null for a value that is not known. */
  vals: readonly (number | null)[]
  /** Told once the row's batch is committed (or the row was dropped): what QoS 1 and HTTP 202 wait for. */
  done?: (result: WriteResult) => void
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
  /**
   * Told after each commit the `readingKey`s of the rows that were new (what the hourly rollups
   * recompute). Called synchronously; the set is reused afterwards, so read it, do not keep it.
   */
  onStored?: (keys: ReadonlySet<string>) => void
}

export interface TelemetryWriterStats {
  written: number
  /** Rows that were stored already (same vehicle and timestamp): retries, replays, duplicates. */
  duplicates: number
  /** Rows not yet stored: waiting in the buffer or in a batch being written (or retried). */
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

/** A waiting row: its COPY line, and what to tell whom once it is committed. */
interface Waiting {
  line: string
  vehicleId: string
  ts: string
  done: ((result: WriteResult) => void) | undefined
}

/**
 * Writes readings to `telemetry_logs` in batches: one COPY per batch through a staging table, so
 * a row whose (vehicle, timestamp) is stored already is skipped, and each row's `done` learns
 * which it was after the commit. Never a write per reading.
 * While full batches wait, up to `concurrency` are written at once. A failed batch keeps its
 * rows, retries with backoff and shows up in the stats (and so in /api/health); only a buffer
 * overflow during a long outage drops rows, and those are counted.
 */
export class TelemetryWriter {
  private buffer: Waiting[] = []
  private timer: NodeJS.Timeout | undefined
  /** The current flush: it ends when the buffer is empty and no batch is in flight, or a batch failed. */
  private session: FlushSession | undefined
  private inFlight = 0
  /** Rows of the batches in flight: taken off the buffer, not yet stored. */
  private inFlightRows = 0
  private retryDelayMs = 0
  private closed = false
  private drainWaiters: { below: number; wake: () => void }[] = []
  private readonly batchSize: number
  private readonly flushIntervalMs: number
  private readonly maxBuffered: number
  private readonly concurrency: number
  private readonly stats_: TelemetryWriterStats = {
    written: 0,
    duplicates: 0,
    pending: 0,
    batches: 0,
    failedAttempts: 0,
    dropped: 0,
    failing: false,
    lastError: null,
    lastErrorAt: null,
  }

  constructor(
    private readonly storage: TelemetryStorage,
    private readonly options: TelemetryWriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000
    this.flushIntervalMs = options.flushIntervalMs ?? 250
    this.maxBuffered = options.maxBuffered ?? 200_000
    this.concurrency = Math.max(1, options.concurrency ?? 2)
  }

  get stats(): TelemetryWriterStats {
    return { ...this.stats_, pending: this.pending, failing: this.retryDelayMs > 0 }
  }

  /** Past 80 % of the buffer: intake should push back (HTTP 503, MQTT acks withheld) until it drains. */
  get saturated(): boolean {
    return this.buffer.length >= this.maxBuffered * 0.8
  }

  /**
   * Readings not yet stored, the batch being written or retried included: between two attempts
   * its rows are back in the buffer, during one they are not, and health must not say 0 then.
   */
  get pending(): number {
    return this.buffer.length + this.inFlightRows
  }

  /** Resolves once fewer than `rows` readings are `pending` (at once if they are). */
  whenBelow(rows: number): Promise<void> {
    if (this.pending < rows) return Promise.resolve()
    return new Promise((wake) => this.drainWaiters.push({ below: rows, wake }))
  }

  add(row: TelemetryRow): void {
    if (this.closed) {
      row.done?.('dropped')
      return
    }
    const vals = row.vals.map((v) => (v === null ? 'NULL' : String(v))).join(',')
    this.buffer.push({
      line: `${copyField(row.vehicleId)}\t${copyField(row.ts)}\t{${vals}}\n`,
      vehicleId: row.vehicleId,
      ts: row.ts,
      done: row.done,
    })
    if (this.buffer.length > this.maxBuffered) {
      // The oldest 1% at once: shifting one row off a full buffer per reading would copy it all each time.
      const excess = Math.max(this.buffer.length - this.maxBuffered, Math.ceil(this.maxBuffered / 100))
      for (const lost of this.buffer.splice(0, excess)) lost.done?.('dropped')
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
      const batch = this.buffer.splice(0, this.batchSize)
      this.inFlight++
      this.inFlightRows += batch.length
      void this.write(session, batch)
    }
    this.wakeDrainWaiters()
  }

  private async write(session: FlushSession, batch: Waiting[]): Promise<void> {
    try {
      const fresh = await this.insert(batch)
      this.stats_.written += fresh.size
      this.stats_.duplicates += batch.length - fresh.size
      this.stats_.batches++
      this.retryDelayMs = 0
      if (fresh.size > 0) this.tellStored(fresh)
      for (const row of batch) {
        if (!row.done) continue
        const key = readingKey(row.vehicleId, Date.parse(row.ts))
        // Twice in one batch: the first is the stored one.
        row.done(fresh.delete(key) ? 'stored' : 'duplicate')
      }
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
      this.inFlightRows -= batch.length
    }
    this.startBatches()
    if (this.inFlight > 0) return
    if (session.failed) this.schedule(this.retryDelayMs)
    this.endSession()
  }

  /** An observer's failure is not the batch's: the rows are committed and must not be retried. */
  private tellStored(fresh: ReadonlySet<string>): void {
    try {
      this.options.onStored?.(fresh)
    } catch {
      // The observer keeps its own errors; nothing here to undo.
    }
  }

  private endSession(): void {
    const session = this.session
    this.session = undefined
    session?.resolve()
  }

  private wakeDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return
    const waiting = this.drainWaiters
    const pending = this.pending
    this.drainWaiters = waiting.filter((w) => pending >= w.below)
    for (const w of waiting) if (pending < w.below) w.wake()
  }

  private async insert(batch: Waiting[]): Promise<Set<string>> {
    const days = new Set<string>()
    let text = ''
    for (const row of batch) {
      days.add(row.ts.slice(0, 10))
      text += row.line
    }
    await this.storage.ensureDays(days)
    return this.storage.insertNew(text)
  }
}
