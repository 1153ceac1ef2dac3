import { setMaxListeners } from 'node:events'
import type { TelemetryReading } from '../schemas/telemetry.js'
import {
  emptyLoadStats,
  type LoadLogger,
  type LoadStats,
  loadTelemetryCsv,
  type TelemetryTable,
} from './csv-loader.js'
import {
  liveStamp,
  positionOf,
  type ReplayClock,
  type ReplayLedger,
  type ResumePoint,
  recordedStamp,
  stepAtOrAfter,
} from './stream-clock.js'
import { buildTimeline, sortByTimestamp, type Timeline } from './stream-timeline.js'
import { readingAt } from './table-reading.js'

export type { LoadStats } from './csv-loader.js'
export type { ReplayClock, ReplayLedger, ReplaySegment, ResumePoint } from './stream-clock.js'

export type StreamLogger = LoadLogger

export interface StreamEngineOptions {
  /** Wait between two steps (two distinct timestamps). 0 replays as fast as possible. Default 2. */
  delaySeconds?: number
  /** VIN for the readings of a file without a VIN column (the public format). */
  defaultVin?: string
  /** Start again from the first row, time-shifted, after the last one. Default true. */
  loop?: boolean
  /** Whose time the readings carry (see `ReplayClock`). Default `recorded`; `live` needs a delay. */
  clock?: ReplayClock
  logger?: StreamLogger
}

export interface StreamDataOptions {
  /**
   * Skip every reading at or before this instant (the newest stored one, after a restart), also
   * in later, time-shifted passes: the replay continues where the stored data ends instead of
   * repeating it. Null or absent: from the first row. A function gets the file's VINs once it is
   * loaded (units sending their own telemetry must not move the replay's resume point); it may
   * name the vehicles stored at that instant (`stored`), and the step is sent again to the rest.
   */
  resumeAfter?: Date | null | ((vins: readonly string[]) => Promise<Date | ResumePoint | null>)
  /** At a wrap-around, before the next pass's first reading: a discontinuity, not a change. */
  onDiscontinuity?: () => void
  /** A live replay's segments, so that it resumes after a restart (absent: from `resumeAfter` alone). */
  ledger?: ReplayLedger
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
  readonly clock: ReplayClock
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
    this.clock = options.clock ?? 'recorded'
    if (this.clock === 'live' && this.delayMs === 0) {
      throw new RangeError('a live replay needs delaySeconds > 0: it stamps one step per delay')
    }
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
    return this.replay(this.controller.signal, options.resumeAfter ?? null, options)
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
    hooks: Pick<StreamDataOptions, 'onDiscontinuity' | 'ledger'>,
  ): AsyncGenerator<TelemetryReading> {
    const { table, timeline } = await this.load()
    const { steps, stepStarts } = timeline
    const { vinIds, vins } = table
    const point = typeof resumeOption === 'function' ? await resumeOption(vins) : resumeOption
    const resumeAfter = point instanceof Date || point === null ? point : point.after
    // Vehicles already stored at `resumeAfter`: its step is sent again to the others only.
    const skip = point instanceof Date || point === null ? null : point.stored
    const live = this.clock === 'live'
    let from: number | null = 0
    let again = false
    if (resumeAfter) {
      const found = await stepAtOrAfter(timeline, resumeAfter, live ? hooks.ledger : undefined, this.loop)
      // The step holding the newest stored reading is sent again only to the vehicles it lacks.
      again = found?.exact === true && skip !== null
      from = found && (found.exact && !again ? found.step + 1 : found.step)
      if (from !== null && !this.loop && from >= steps) from = null
    }
    if (resumeAfter) this.logResume(timeline, resumeAfter, from)
    if (from === null || steps === 0 || signal.aborted) return
    // A live run's stamps start now; its segment is stored first, so a restart can place them.
    const segment = { firstStep: from, startedAt: new Date(), paceMs: this.delayMs }
    if (live) await hooks.ledger?.begin(segment)
    const stampOf = (g: number) => (live ? liveStamp(segment, g) : recordedStamp(timeline, g))
    // Vehicles already stored at the first step (a stop inside it) are not sent it again.
    const skipAtFrom = again ? skip : null
    let sinceTurn = 0
    for (let g = from; ; g++) {
      const step = g % steps
      if (step === 0 && g > from) {
        if (!this.loop) return
        this.loops++
        hooks.onDiscontinuity?.()
      }
      if (signal.aborted) return
      if (g > from && this.delayMs > 0) {
        // Live: wait for the step's own stamp, so a slow consumer cannot push stamps ahead of the
        // wall clock and a restart's resume arithmetic holds. Recorded: a fixed pause between steps.
        const wait = live ? stampOf(g) - Date.now() : this.delayMs
        if (wait > 0 && !(await sleep(wait, signal))) return
        sinceTurn = 0
      }
      // One ISO string per step, shared by every reading of the step.
      const timestamp = new Date(stampOf(g)).toISOString()
      const end = stepStarts[step + 1]!
      for (let i = stepStarts[step]!; i < end; i++) {
        if (g === from && skipAtFrom?.has(vins[vinIds[i]!]!)) continue
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
  }

  private logResume(timeline: Timeline, resumeAfter: Date, from: number | null): void {
    const position = from === null ? null : positionOf(timeline, from)
    this.logger?.info(
      {
        resume_after: resumeAfter.toISOString(),
        clock: this.clock,
        loop: position?.loop ?? null,
        step: position?.step ?? null,
        next_timestamp:
          from !== null && timeline.steps > 0 && this.clock === 'recorded'
            ? new Date(recordedStamp(timeline, from)).toISOString()
            : null,
      },
      from !== null
        ? 'replay resumes after the last stored reading'
        : 'replay has nothing after the last stored reading',
    )
  }
}
