import type { FastifyBaseLogger } from 'fastify'
import type { Repositories } from '../db/repositories/index.js'
import { type TelemetryReading, TelemetryReadingSchema } from '../schemas/telemetry.js'
import type { EventBus } from './event-bus.js'
import { messages } from './messages.js'
import { ReadingRing } from './reading-ring.js'
import type { TelemetryWriter } from './telemetry-writer.js'

export interface VehicleRef {
  id: string
  vin: string
  ownerId: string
  model: string
  batch: string | null
}

/** What the service knows about a vehicle right now, kept in memory and bounded. */
export interface VehicleLiveState {
  vehicle: VehicleRef
  latest: TelemetryReading | null
  recent: ReadingRing
  /** Filled in by the analysis observer: the latest remaining-useful-life estimate, in days. */
  rulDays: number | null
}

/** Sees every valid reading of a known vehicle, in order, on the hot path: must be cheap. */
export interface ReadingObserver {
  onReading(state: VehicleLiveState, reading: TelemetryReading): void
}

/** `draining`: the service is stopping and takes nothing more (an intake route answers 503). */
export type IngestOutcome = 'accepted' | 'invalid' | 'unknown_vehicle' | 'draining'

export interface PipelineStats {
  accepted: number
  invalid: number
  unknownVehicle: number
  /** Offered after intake stopped (see `stopIntake`), and refused. */
  refused: number
  vehicles: number
  lastReadingAt: string | null
}

interface Source {
  streamData(): AsyncGenerator<TelemetryReading>
  stop(): void
}

/**
 * The per-reading hot path, plain code: validate, attribute to a vehicle, update its live state,
 * let observers (the anomaly analysis) look at it, queue it for the batched database write, and
 * publish it to dashboards. No awaits: one reading never waits on the database.
 */
export class IngestionPipeline {
  private readonly byVin = new Map<string, VehicleLiveState>()
  private readonly observers: ReadingObserver[] = []
  private readonly stats_: Omit<PipelineStats, 'vehicles'> = {
    accepted: 0,
    invalid: 0,
    unknownVehicle: 0,
    refused: 0,
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
    },
  ) {}

  addObserver(observer: ReadingObserver): void {
    this.observers.push(observer)
  }

  /** Loads the vehicle directory (VIN -> id, owner). Called at start and when an unknown VIN shows up. */
  async loadVehicles(): Promise<void> {
    this.lastRefresh = Date.now()
    const vehicles = await this.deps.repos.vehicles.listAll()
    for (const v of vehicles) {
      if (this.byVin.has(v.vin)) continue
      this.byVin.set(v.vin, {
        vehicle: { id: v.id, vin: v.vin, ownerId: v.owner_id, model: v.model, batch: v.batch },
        latest: null,
        recent: new ReadingRing(this.deps.historySize ?? 240, v.vin),
        rulDays: null,
      })
    }
  }

  get stats(): PipelineStats {
    return { ...this.stats_, vehicles: this.byVin.size }
  }

  vehicleState(vin: string): VehicleLiveState | undefined {
    return this.byVin.get(vin)
  }

  /** False once `stopIntake()` ran: nothing is taken in any more. */
  get accepting(): boolean {
    return this.accepting_
  }

  ingest(raw: unknown): IngestOutcome {
    if (!this.accepting_) {
      this.stats_.refused++
      return 'draining'
    }
    const parsed = TelemetryReadingSchema.safeParse(raw)
    if (!parsed.success) {
      this.stats_.invalid++
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
    const state = this.byVin.get(reading.vin)
    if (!state) {
      this.stats_.unknownVehicle++
      if (Date.now() - this.lastRefresh > 5000) {
        this.loadVehicles().catch((err) => this.deps.log.error({ err }, 'vehicle directory refresh failed'))
      }
      return 'unknown_vehicle'
    }
    state.latest = reading
    state.recent.push(reading)
    this.stats_.accepted++
    this.stats_.lastReadingAt = reading.timestamp
    for (const observer of this.observers) observer.onReading(state, reading)
    // Serialized once, for the database and for every dashboard.
    const json = JSON.stringify(reading)
    this.deps.writer.add({ vehicleId: state.vehicle.id, ts: reading.timestamp, data: reading, json })
    this.deps.bus.publish(messages.telemetry(reading, state.vehicle.ownerId, json))
    return 'accepted'
  }

  /** Consumes a source (the StreamEngine) until it ends or `stop()` is called. */
  start(source: Source): void {
    if (this.running) throw new Error('the pipeline is already running a source')
    // Stopping began before the start finished (a signal during start-up): leave the source unread.
    if (!this.accepting_) return
    this.source = source
    this.running = (async () => {
      for await (const reading of source.streamData()) this.ingest(reading)
    })()
      .catch((err) => this.deps.log.error({ err }, 'telemetry stream failed'))
      .finally(() => {
        this.running = undefined
      })
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
