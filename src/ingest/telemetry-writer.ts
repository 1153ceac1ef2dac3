import { sql } from 'kysely'
import type { Db } from '../db/client.js'

export interface TelemetryRow {
  vehicleId: string
  /** ISO-8601 timestamp of the reading. */
  ts: string
  data: Record<string, unknown>
}

export interface TelemetryWriterOptions {
  /** Flush when this many rows are waiting. */
  batchSize?: number
  /** ...or when the oldest waiting row is this old. */
  flushIntervalMs?: number
  /** Rows kept while the database is failing; past this the oldest are dropped and counted. */
  maxBuffered?: number
  onError?: (err: unknown, attempt: number) => void
}

export interface TelemetryWriterStats {
  written: number
  pending: number
  batches: number
  failedAttempts: number
  dropped: number
  lastError: string | null
  lastErrorAt: string | null
}

/**
 * Writes readings to `telemetry_logs` in batches: one INSERT ... SELECT over a JSON array per
 * flush (one round trip and one parameter, on `pg` and PGlite alike), never a write per reading.
 * A failed flush keeps its rows, retries with backoff and shows up in the stats (and so in
 * /api/health); only a buffer overflow during a long outage drops rows, and those are counted.
 */
export class TelemetryWriter {
  private buffer: TelemetryRow[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private retryDelayMs = 0
  private closed = false
  private readonly batchSize: number
  private readonly flushIntervalMs: number
  private readonly maxBuffered: number
  private readonly stats_: TelemetryWriterStats = {
    written: 0,
    pending: 0,
    batches: 0,
    failedAttempts: 0,
    dropped: 0,
    lastError: null,
    lastErrorAt: null,
  }

  constructor(
    private readonly db: Db,
    private readonly options: TelemetryWriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000
    this.flushIntervalMs = options.flushIntervalMs ?? 250
    this.maxBuffered = options.maxBuffered ?? 200_000
  }

  get stats(): TelemetryWriterStats {
    return { ...this.stats_, pending: this.buffer.length }
  }

  add(row: TelemetryRow): void {
    if (this.closed) return
    this.buffer.push(row)
    if (this.buffer.length > this.maxBuffered) {
      const excess = this.buffer.length - this.maxBuffered
      this.buffer.splice(0, excess)
      this.stats_.dropped += excess
    }
    if (this.buffer.length >= this.batchSize && this.retryDelayMs === 0) void this.flush()
    else this.schedule(this.retryDelayMs || this.flushIntervalMs)
  }

  /** Writes everything waiting now; resolves when written or when the attempt failed. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined
    })
    return this.flushing
  }

  /** Flushes what is left (trying a few times) and stops the timer. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    for (let attempt = 0; attempt < 3 && this.buffer.length > 0; attempt++) {
      await this.flushing
      await this.flush()
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

  private async drain(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize)
      try {
        await this.insert(batch)
        this.stats_.written += batch.length
        this.stats_.batches++
        this.retryDelayMs = 0
      } catch (err) {
        this.buffer.unshift(...batch)
        this.stats_.failedAttempts++
        this.stats_.lastError = err instanceof Error ? err.message : String(err)
        this.stats_.lastErrorAt = new Date().toISOString()
        this.retryDelayMs = Math.min(this.retryDelayMs ? this.retryDelayMs * 2 : 250, 5000)
        this.options.onError?.(err, this.stats_.failedAttempts)
        this.schedule(this.retryDelayMs)
        return
      }
    }
  }

  private async insert(batch: TelemetryRow[]): Promise<void> {
    const payload = JSON.stringify(batch.map((r) => ({ v: r.vehicleId, t: r.ts, d: r.data })))
    await sql`
      insert into telemetry_logs (vehicle_id, ts, sensor_data)
      select (e->>'v')::uuid, (e->>'t')::timestamptz, e->'d'
      from jsonb_array_elements(${payload}::jsonb) as e`.execute(this.db)
  }
}
