import type { FastifyBaseLogger } from 'fastify'
import type { Repositories } from '../db/repositories/index.js'
import { type TelemetryReading, TelemetryReadingSchema } from '../schemas/telemetry.js'
import { readingValues } from '../schemas/telemetry-series.js'
import type { EventBus } from './event-bus.js'
import { messages } from './messages.js'
import {
  type IngestOutcome,
  leftToItsUnit,
  type PipelineStats,
  type ReadingObserver,
  type Source,
  type VehicleLiveState,
  type VehicleRef,
} from './pipeline-types.js'
import { normaliseDeviceReading, type SubmitResult, toSubmitResult } from './reading-intake.js'
import { ReadingRing } from './reading-ring.js'
import { DEFAULT_SIGNAL_QUALITY, SignalQuality, type SignalQualityOptions } from './signal-quality.js'
import type { TelemetryWriter, WriteResult } from './telemetry-writer.js'

export type {
  IngestOutcome,
  PipelineStats,
  ReadingObserver,
  ReadingSink,
  Source,
  VehicleLiveState,
  VehicleRef,
} from './pipeline-types.js'

/** Readings the replay lets wait for the database: a few seconds of the writer's work at most. */
const REPLAY_BACKLOG = 10_000

export type { SubmitResult } from './reading-intake.js'

/**
 * The per-reading hot path, plain code: validate, attribute to a vehicle, update its live state,
 * let observers (the anomaly analysis) look at it, queue it for the batched database write, and
 * publish it to dashboards. No awaits: one reading never waits on the database.
 */
export class IngestionPipeline {
  private readonly byVin = new Map<string, VehicleLiveState>()
  /** Decommissioned while running: an in-flight directory refresh must not add them back. */
  private readonly forgotten = new Set<string>()
  private readonly observers: ReadingObserver[] = []
  private readonly invalidByCode: PipelineStats['invalidByCode'] = {}
  private readonly stats_: Omit<PipelineStats, 'vehicles' | 'invalidByCode'> = {
    accepted: 0,
    late: 0,
    duplicate: 0,
    invalid: 0,
    unknownVehicle: 0,
    refused: 0,
    yieldedToUnit: 0,
    lastReadingAt: null,
  }
  private lastRefresh = 0
  private source: Source | undefined
  private running: Promise<void> | undefined
  private accepting_ = true

  constructor(
    private readonly deps: {
      repos: Repositories
      writer: TelemetryWriter
      bus: EventBus
      log: FastifyBaseLogger
      historySize?: number
      quality?: SignalQualityOptions
    },
  ) {}

  addObserver(observer: ReadingObserver): void {
    this.observers.push(observer)
  }

  /**
   * Loads the active vehicles (VIN -> id, owner) with each one's newest stored reading time, so that
   * after a restart nothing stored is analysed twice. Called at start and for an unknown VIN;
   * onboarding calls `upsertVehicle` and `forgetVehicle`, so changes apply at once.
   */
  async loadVehicles(): Promise<void> {
    this.lastRefresh = Date.now()
    const vehicles = (await this.deps.repos.vehicles.listActive()).filter(
      (v) => !this.byVin.has(v.vin) && !this.forgotten.has(v.vin),
    )
    const newest = await this.deps.repos.telemetry.newestTimes(vehicles.map((v) => v.id))
    for (const v of vehicles) {
      // Added, changed or decommissioned by onboarding while the query ran: that is newer.
      if (this.byVin.has(v.vin) || this.forgotten.has(v.vin)) continue
      this.upsertVehicle(
        { id: v.id, vin: v.vin, ownerId: v.owner_id, model: v.model, batch: v.batch },
        newest.get(v.id)?.getTime(),
      )
    }
  }

  /**
   * Forgets what memory holds of these vehicles and reads them again (their newest stored reading
   * included): a worker taking over their partition continues where the last owner committed.
   * Returns them as now known.
   */
  async reloadVehicles(which: (vin: string) => boolean): Promise<VehicleRef[]> {
    for (const vin of [...this.byVin.keys()]) if (which(vin)) this.byVin.delete(vin)
    await this.loadVehicles()
    return [...this.byVin.values()].filter((s) => which(s.vehicle.vin)).map((s) => s.vehicle)
  }

  /**
   * Adds a vehicle to the directory (`newestTs`: its newest stored reading, epoch ms), or updates
   * its owner, model and batch in place.
   */
  upsertVehicle(vehicle: VehicleRef, newestTs?: number): void {
    this.forgotten.delete(vehicle.vin)
    const state = this.byVin.get(vehicle.vin)
    if (state) {
      Object.assign(state.vehicle, vehicle)
      return
    }
    this.byVin.set(vehicle.vin, {
      vehicle: { ...vehicle },
      latest: null,
      recent: new ReadingRing(this.deps.historySize ?? 240, vehicle.vin),
      lastTs: newestTs ?? Number.NEGATIVE_INFINITY,
      unitAt: Number.NEGATIVE_INFINITY,
      quality: new SignalQuality(this.deps.quality ?? DEFAULT_SIGNAL_QUALITY),
    })
  }

  /** Drops a (decommissioned) vehicle: its readings are refused from now on, and a refresh does not bring it back. */
  forgetVehicle(vin: string): void {
    this.byVin.delete(vin)
    this.forgotten.add(vin)
  }

  /**
   * A device's reading of `vin` (the VIN its credentials name): validated, analysed in order
   * when it is new, and stored once. Resolves after the database commit, so an acknowledgement
   * sent on it (HTTP 202, MQTT PUBACK) never covers a reading that could still be lost.
   */
  submit(raw: unknown, vin: string): Promise<SubmitResult> {
    if (!this.accepting_) {
      this.stats_.refused++
      return Promise.resolve({
        status: 'rejected',
        code: 'SHUTTING_DOWN',
        message: 'The service is stopping; send it again later',
      })
    }
    const now = Date.now()
    const reading = normaliseDeviceReading(raw, vin, now)
    if ('status' in reading) {
      this.stats_.invalid++
      this.invalidByCode[reading.code] = (this.invalidByCode[reading.code] ?? 0) + 1
      return Promise.resolve(reading)
    }
    const state = this.byVin.get(vin)
    if (state) state.unitAt = now
    return new Promise((resolve) => {
      const outcome = this.accept(reading, (result) => resolve(toSubmitResult(result)))
      if (outcome === 'duplicate') resolve({ status: 'duplicate' })
      else if (outcome === 'unknown_vehicle')
        resolve({ status: 'rejected', code: 'UNKNOWN_VEHICLE', message: 'No such vehicle' })
    })
  }

  get stats(): PipelineStats {
    return { ...this.stats_, invalidByCode: { ...this.invalidByCode }, vehicles: this.byVin.size }
  }

  vehicleState(vin: string): VehicleLiveState | undefined {
    return this.byVin.get(vin)
  }

  /**
   * False once `stopIntake()` ran (nothing is taken in any more) and while the writer is
   * saturated: device intake then answers 503 + Retry-After.
   */
  get accepting(): boolean {
    return this.accepting_ && !this.deps.writer.saturated
  }

  /** True once `stopIntake()` ran. */
  get draining(): boolean {
    return !this.accepting_
  }

  ingest(raw: unknown): IngestOutcome {
    if (!this.accepting_) {
      this.stats_.refused++
      return 'draining'
    }
    const parsed = TelemetryReadingSchema.safeParse(raw)
    if (!parsed.success) {
      this.stats_.invalid++
      this.invalidByCode.INVALID_VALUE = (this.invalidByCode.INVALID_VALUE ?? 0) + 1
      // Logged, but not per reading: a broken feed must not flood the log.
      if (this.stats_.invalid <= 5 || this.stats_.invalid % 1000 === 0) {
        this.deps.log.warn(
          {
            invalid: this.stats_.invalid,
            issues: parsed.error.issues.slice(0, 3).map((i) => i.path.join('.')),
          },
          'invalid telemetry reading skipped',
        )
      }
      return 'invalid'
    }
    const reading = parsed.data
    // One canonical form (UTC, milliseconds, `Z`) whatever offset the source used.
    if (reading.timestamp.length !== 24 || !reading.timestamp.endsWith('Z')) {
      reading.timestamp = new Date(reading.timestamp).toISOString()
    }
    return this.accept(reading)
  }

  /** A valid reading in canonical form; `done` learns of its commit (when it is written). */
  private accept(reading: TelemetryReading, done?: (result: WriteResult) => void): IngestOutcome {
    const state = this.byVin.get(reading.vin)
    if (!state) {
      this.stats_.unknownVehicle++
      if (!this.forgotten.has(reading.vin) && Date.now() - this.lastRefresh > 5000) {
        this.loadVehicles().catch((err) => this.deps.log.error({ err }, 'vehicle directory refresh failed'))
      }
      return 'unknown_vehicle'
    }
    const ts = Date.parse(reading.timestamp)
    // A resent copy of the newest reading: dropped before it counts anywhere (MQTT redelivers).
    if (ts === state.lastTs) {
      this.stats_.duplicate++
      return 'duplicate'
    }
    // Before anything keeps it: an implausible value is stored, analysed and shown as null.
    state.quality.inspect(reading, ts > state.lastTs)
    const row = { vehicleId: state.vehicle.id, ts: reading.timestamp, vals: readingValues(reading), done }
    if (ts < state.lastTs) {
      // Stored (the database skips it if it is there already), never analysed out of order.
      this.stats_.late++
      this.deps.writer.add(row)
      return 'late'
    }
    state.lastTs = ts
    state.latest = reading
    state.recent.push(reading)
    this.stats_.accepted++
    this.stats_.lastReadingAt = reading.timestamp
    for (const observer of this.observers) observer.onReading(state, reading)
    this.deps.writer.add(row)
    this.deps.bus.publish(messages.telemetry(reading, state.vehicle.ownerId, JSON.stringify(reading)))
    return 'accepted'
  }

  /** Consumes a source (the StreamEngine) until it ends or `stop()` is called. */
  start(source: Source): void {
    if (this.running) throw new Error('the pipeline is already running a source')
    // Stopping began before the start finished (a signal during start-up): leave the source unread.
    if (!this.accepting_) return
    this.source = source
    const hooks = { onDiscontinuity: () => this.discontinuity() }
    this.running = (async () => {
      for await (const reading of source.streamData(hooks)) {
        if (leftToItsUnit(this.byVin.get(reading.vin), Date.now())) this.stats_.yieldedToUnit++
        else this.ingest(reading)
        // The replay waits for the database, and keeps its backlog to what a stop can still write
        // in a few seconds (at no delay it would fill the buffer, 200 MB, and outlast the timeout).
        if (this.deps.writer.pending >= REPLAY_BACKLOG) await this.deps.writer.whenBelow(REPLAY_BACKLOG / 2)
      }
    })()
      .catch((err) => this.deps.log.error({ err }, 'telemetry stream failed'))
      .finally(() => {
        this.running = undefined
      })
  }

  /** Every vehicle's next reading starts afresh for the observers (see `onDiscontinuity`). */
  discontinuity(): void {
    for (const state of this.byVin.values()) {
      state.quality.rebase()
      for (const observer of this.observers) observer.onDiscontinuity?.(state)
    }
  }

  /**
   * Stops intake at once, synchronously: the source (the replay) is told to stop and every later
   * `ingest` is refused, so that what the writer holds is final. Idempotent; `stop()` begins with it.
   */
  stopIntake(): void {
    if (!this.accepting_) return
    this.accepting_ = false
    this.source?.stop()
  }

  /** Stops intake and waits for the source's loop to end. */
  async stop(): Promise<void> {
    this.stopIntake()
    await this.running
  }
}
