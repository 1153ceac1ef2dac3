import type { TelemetryStorage } from '../db/telemetry-storage.js'

const DAY_MS = 86_400_000

export interface TelemetryMaintenanceOptions {
  /** Drop day partitions whose whole range is older than this many days; undefined keeps everything. */
  retentionDays: number | undefined
  /** Partitions kept in place beyond today. Default 3. */
  daysAhead?: number
  /** How often the task runs (it also runs at `start`). Default one hour. */
  intervalMs?: number
  now?: () => Date
  log?: { error(obj: object, msg?: string): void; info(obj: object, msg?: string): void }
}

export interface RetentionRun {
  at: string
  /** Rows older than this were eligible: now minus the retention window. */
  cutoff: string
  dropped: string[]
  error: string | null
}

export interface TelemetryMaintenanceStats {
  retention_days: number | null
  days_ahead: number
  last_run_at: string | null
  partitions_ahead: string[]
  last_retention: RetentionRun | null
  last_error: string | null
}

/** The UTC day (`YYYY-MM-DD`) `offset` days after `now`. */
function utcDay(now: Date, offset: number): string {
  return new Date(now.getTime() + offset * DAY_MS).toISOString().slice(0, 10)
}

/**
 * The telemetry table's housekeeping, on an unref'd interval started by the composition root:
 * today's and the next few days' partitions are created ahead (so the first write of a day pays
 * no DDL), and with a retention window the day partitions entirely older than it are dropped,
 * whole: rows are never deleted one by one and a partition reaching into the window is kept. The
 * hourly rollups of dropped days stay.
 */
export class TelemetryMaintenance {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private readonly daysAhead: number
  private readonly intervalMs: number
  private readonly now: () => Date
  private readonly stats_: TelemetryMaintenanceStats

  constructor(
    private readonly storage: TelemetryStorage,
    private readonly options: TelemetryMaintenanceOptions,
  ) {
    this.daysAhead = options.daysAhead ?? 3
    this.intervalMs = options.intervalMs ?? 3_600_000
    this.now = options.now ?? (() => new Date())
    this.stats_ = {
      retention_days: options.retentionDays ?? null,
      days_ahead: this.daysAhead,
      last_run_at: null,
      partitions_ahead: [],
      last_retention: null,
      last_error: null,
    }
  }

  get stats(): TelemetryMaintenanceStats {
    return { ...this.stats_ }
  }

  /** The start of the retention window now, or null when everything is kept. */
  oldestKept(): Date | null {
    const days = this.options.retentionDays
    return days === undefined ? null : new Date(this.now().getTime() - days * DAY_MS)
  }

  /** Runs once now (awaited), then every `intervalMs`. */
  async start(): Promise<void> {
    await this.run()
    if (this.timer) return
    this.timer = setInterval(() => void this.run(), this.intervalMs)
    this.timer.unref()
  }

  /** Stops the interval and waits for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  /** One pass: partitions ahead, then retention. Never throws: failures go to the stats and the log. */
  run(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.ensureAhead()
        await this.retention()
        this.stats_.last_error = null
      } catch (err) {
        this.stats_.last_error = err instanceof Error ? err.message : String(err)
        this.options.log?.error({ err }, 'telemetry maintenance failed')
      } finally {
        this.stats_.last_run_at = this.now().toISOString()
        this.running = undefined
      }
    })()
    return this.running
  }

  private async ensureAhead(): Promise<void> {
    const now = this.now()
    const days = Array.from({ length: this.daysAhead + 1 }, (_, i) => utcDay(now, i))
    await this.storage.ensureDays(days)
    this.stats_.partitions_ahead = days
  }

  /** Drops the partitions whose upper bound is at or before now minus the window. */
  async retention(): Promise<RetentionRun | null> {
    const cutoff = this.oldestKept()
    if (!cutoff) return null
    const run: RetentionRun = {
      at: this.now().toISOString(),
      cutoff: cutoff.toISOString(),
      dropped: [],
      error: null,
    }
    this.stats_.last_retention = run
    try {
      for (const p of await this.storage.partitions()) {
        if (p.to.getTime() > cutoff.getTime()) continue
        await this.storage.dropPartition(p.name)
        run.dropped.push(p.name)
      }
    } catch (err) {
      run.error = err instanceof Error ? err.message : String(err)
      throw err
    } finally {
      if (run.dropped.length > 0)
        this.options.log?.info(
          { dropped: run.dropped, cutoff: run.cutoff, retention_days: this.options.retentionDays },
          'telemetry retention dropped day partitions',
        )
    }
    return run
  }
}
