import { setMaxListeners } from 'node:events'
import type { TelemetryReading } from '../schemas/telemetry.js'
import {
  emptyLoadStats,
  type LoadLogger,
  type LoadStats,
  loadTelemetryCsv,
  type TelemetryTable,
} from './csv-loader.js'
import { buildTimeline, resumePosition, sortByTimestamp, type Timeline } from './stream-timeline.js'

export type { LoadStats } from './csv-loader.js'

export type StreamLogger = LoadLogger

export interface StreamEngineOptions {
  /** Wait between two steps (two distinct timestamps). 0 replays as fast as possible. Default 2. */
  delaySeconds?: number
  /** VIN for the readings of a file without a VIN column (the public format). */
  defaultVin?: string
  /** Start again from the first row, time-shifted, after the last one. Default true. */
  loop?: boolean
  logger?: StreamLogger
}

export interface StreamDataOptions {
  /**
   * Skip every reading at or before this instant (the newest stored one, after a restart), also
   * in later, time-shifted passes: the replay continues where the stored data ends instead of
   * repeating it. Null or absent: from the first row. A function gets the file's VINs once it is
   * loaded (units sending their own telemetry must not move the replay's resume point).
   */
  resumeAfter?: Date | null | ((vins: readonly string[]) => Promise<Date | null>)
  /** At a wrap-around, before the next pass's first reading: a discontinuity, not a change. */
  onDiscontinuity?: () => void
}

export interface StreamStats extends LoadStats {
  /** Readings yielded, summed over every stream of this engine. */
  emitted: number
  /** Times a stream wrapped around from the last row to the first. */
  loops: number
  /** Distinct timestamps in the file. */
  steps: number
  stepIntervalMs: number
}

/**
 * With no delay the replay loop only ever awaits microtasks, which would starve sockets and timers;
 * it hands the event loop a turn after this many readings.
 */
const READINGS_PER_TURN = 256

/**
 * Every waiting stream of an engine listens on one signal; without lifting the limit, Node warns
 * about a listener leak as soon as an 11th WebSocket client shares the engine.
 */
function newController(): AbortController {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal)
  return controller
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (clearing the timer). */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** A cell the loader could not fill (a column without any plausible value) is null in the reading. */
function v(x: number): number | null {
  return Number.isNaN(x) ? null : x
}

/** One reading as a literal with a fixed key order, so every reading shares one hidden class. */
function readingAt(table: TelemetryTable, i: number, vin: string, timestamp: string): TelemetryReading {
  const c = table.columns
  return {
    vin,
    timestamp,
    soc: v(c.soc[i]!),
    soh: v(c.soh[i]!),
    battery_voltage: v(c.battery_voltage[i]!),
    battery_current: v(c.battery_current[i]!),
    battery_temperature: v(c.battery_temperature[i]!),
    charge_cycles: v(c.charge_cycles[i]!),
    motor_temperature: v(c.motor_temperature[i]!),
    motor_vibration: v(c.motor_vibration[i]!),
    motor_torque: v(c.motor_torque[i]!),
    motor_rpm: v(c.motor_rpm[i]!),
    power_consumption: v(c.power_consumption[i]!),
    brake_pad_wear: v(c.brake_pad_wear[i]!),
    brake_pressure: v(c.brake_pressure[i]!),
    reg_brake_efficiency: v(c.reg_brake_efficiency[i]!),
    tire_pressure: v(c.tire_pressure[i]!),
    tire_temperature: v(c.tire_temperature[i]!),
    suspension_load: v(c.suspension_load[i]!),
    ambient_temperature: v(c.ambient_temperature[i]!),
    ambient_humidity: v(c.ambient_humidity[i]!),
    load_weight: v(c.load_weight[i]!),
    driving_speed: v(c.driving_speed[i]!),
    distance_traveled: v(c.distance_traveled[i]!),
    idle_time: v(c.idle_time[i]!),
    route_roughness: v(c.route_roughness[i]!),
    rul: v(c.rul[i]!),
    failure_probability: v(c.failure_probability[i]!),
    maintenance_type: v(c.maintenance_type[i]!),
    ttf: v(c.ttf[i]!),
    component_health_score: v(c.component_health_score[i]!),
  }
}

interface Loaded {
  table: TelemetryTable
  timeline: Timeline
  stats: LoadStats
}

/**
 * Replays a telemetry CSV as a live feed: all readings of one timestamp back to back (one step),
 * then `delaySeconds` of quiet, then the next timestamp. At the end it starts again with every
 * timestamp shifted forward by the file's span plus one interval, so time never runs backwards.
 *
 * The file is loaded once per engine and shared: several consumers (e.g. WebSocket clients) can
 * each call `streamData()` on one engine and get their own independent cursor over the same data.
 */
export class StreamEngine {
  readonly filePath: string
  private readonly delayMs: number
  private readonly loop: boolean
  private readonly defaultVin: string | undefined
  private readonly logger: StreamLogger | undefined
  private loading: Promise<Loaded> | undefined
  private loaded: Loaded | undefined
  private controller = newController()
  private emitted = 0
  private loops = 0
  private failure: string | null = null

  constructor(filePath: string, options: StreamEngineOptions = {}) {
    const delaySeconds = options.delaySeconds ?? 2
    if (!Number.isFinite(delaySeconds) || delaySeconds < 0) {
      throw new RangeError(`delaySeconds must be a finite number >= 0, got ${delaySeconds}`)
    }
    this.filePath = filePath
    this.delayMs = delaySeconds * 1000
    this.loop = options.loop ?? true
    this.defaultVin = options.defaultVin
    this.logger = options.logger
  }

  /** Loads and indexes the file; later and concurrent calls share the first load. */
  async loadData(): Promise<LoadStats> {
    return (await this.load()).stats
  }

  /**
   * Yields readings step by step, forever when `loop` is on. Loads the file first if needed.
   * Each call returns an independent stream; `stop()` ends every stream obtained before it.
   */
  streamData(options: StreamDataOptions = {}): AsyncGenerator<TelemetryReading> {
    // The signal is taken now, not when the generator body first runs, so that a stream created
    // before stop() but not yet iterated is stopped as well.
    return this.replay(this.controller.signal, options.resumeAfter ?? null, options.onDiscontinuity)
  }

  /** Ends the current streams promptly, even mid-delay; a later `streamData()` starts afresh. */
  stop(): void {
    this.controller.abort()
    this.controller = newController()
  }

  get stats(): StreamStats {
    const stats = this.loaded?.stats ?? emptyLoadStats()
    return {
      ...stats,
      skippedReasons: { ...stats.skippedReasons },
      filledByColumn: { ...stats.filledByColumn },
      implausibleByColumn: { ...stats.implausibleByColumn },
      columnsWithoutValues: [...stats.columnsWithoutValues],
      emitted: this.emitted,
      loops: this.loops,
      steps: this.loaded?.timeline.steps ?? 0,
      stepIntervalMs: this.loaded?.timeline.stepIntervalMs ?? 0,
    }
  }

  /**
   * Why the replay has nothing to give (the file is missing, unreadable, not a telemetry CSV, or
   * has no good row), or null while it loads or when it loaded rows. Health reports it.
   */
  get problem(): string | null {
    if (this.failure !== null) return this.failure
    if (this.loaded && this.loaded.stats.rows === 0) return `${this.filePath}: no readable telemetry rows`
    return null
  }

  private load(): Promise<Loaded> {
    if (this.loading === undefined) {
      this.loading = loadTelemetryCsv(this.filePath, {
        defaultVin: this.defaultVin,
        logger: this.logger,
      }).then(({ table, stats }) => {
        const sorted = sortByTimestamp(table)
        this.loaded = { table: sorted, timeline: buildTimeline(sorted), stats }
        this.failure = null
        return this.loaded
      })
      // A failed load (missing file, bad header) is not cached, so a later call can retry.
      this.loading.catch((err: Error) => {
        this.failure = err.message
        this.loading = undefined
      })
    }
    return this.loading
  }

  private async *replay(
    signal: AbortSignal,
    resumeOption: NonNullable<StreamDataOptions['resumeAfter']> | null,
    onDiscontinuity: (() => void) | undefined,
  ): AsyncGenerator<TelemetryReading> {
    const { table, timeline } = await this.load()
    const { steps, stepStarts, stepTimes, loopShiftMs } = timeline
    const { vinIds, vins } = table
    const resumeAfter = typeof resumeOption === 'function' ? await resumeOption(vins) : resumeOption
    const from = resumeAfter
      ? resumePosition(timeline, resumeAfter.getTime(), this.loop)
      : { loop: 0, step: 0 }
    if (resumeAfter) {
      this.logger?.info(
        {
          resume_after: resumeAfter.toISOString(),
          loop: from?.loop ?? null,
          step: from?.step ?? null,
          next_timestamp:
            from && steps > 0
              ? new Date(stepTimes[from.step]! + from.loop * loopShiftMs).toISOString()
              : null,
        },
        from
          ? 'replay resumes after the last stored reading'
          : 'replay has nothing after the last stored reading',
      )
    }
    if (!from) return
    let shiftMs = from.loop * loopShiftMs
    let startStep = from.step
    let sinceTurn = 0
    let first = true
    for (;;) {
      for (let s = startStep; s < steps; s++) {
        if (signal.aborted) return
        if (!first && this.delayMs > 0) {
          if (!(await sleep(this.delayMs, signal))) return
          sinceTurn = 0
        }
        first = false
        // One ISO string per step, shared by every reading of the step.
        const timestamp = new Date(stepTimes[s]! + shiftMs).toISOString()
        const end = stepStarts[s + 1]!
        for (let i = stepStarts[s]!; i < end; i++) {
          if (++sinceTurn >= READINGS_PER_TURN) {
            sinceTurn = 0
            await nextTurn()
            if (signal.aborted) return
          }
          this.emitted++
          yield readingAt(table, i, vins[vinIds[i]!]!, timestamp)
          // The consumer may have called stop() while handling the reading we just gave it.
          if (signal.aborted) return
        }
      }
      if (!this.loop || steps === 0) return
      startStep = 0
      shiftMs += loopShiftMs
      this.loops++
      onDiscontinuity?.()
    }
  }
}
