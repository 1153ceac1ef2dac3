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

export type IngestOutcome = 'accepted' | 'invalid' | 'unknown_vehicle'

export interface PipelineStats {
  accepted: number
  invalid: number
  unknownVehicle: number
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
  /** Decommissioned while running: an in-flight directory refresh must not add them back. */
  private readonly forgotten = new Set<string>()
  private readonly observers: ReadingObserver[] = []
  private readonly stats_: Omit<PipelineStats, 'vehicles'> = {
    accepted: 0,
    invalid: 0,
    unknownVehicle: 0,
    lastReadingAt: null,
  }
  private lastRefresh = 0
  private source: Source | undefined
  private running: Promise<void> | undefined

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

  /**
   * Loads the directory of active vehicles (VIN -> id, owner). Called at start and when an unknown
   * VIN shows up; onboarding calls `upsertVehicle` and `forgetVehicle` so changes apply at once.
   */
  async loadVehicles(): Promise<void> {
    this.lastRefresh = Date.now()
    const vehicles = await this.deps.repos.vehicles.listActive()
    for (const v of vehicles) {
      if (this.byVin.has(v.vin) || this.forgotten.has(v.vin)) continue
      this.upsertVehicle({ id: v.id, vin: v.vin, ownerId: v.owner_id, model: v.model, batch: v.batch })
    }
  }

  /** Adds a vehicle to the directory, or updates its owner, model and batch in place. */
  upsertVehicle(vehicle: VehicleRef): void {
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
      rulDays: null,
    })
  }

  /** Drops a (decommissioned) vehicle: its readings are refused from now on, and a refresh does not bring it back. */
  forgetVehicle(vin: string): void {
    this.byVin.delete(vin)
    this.forgotten.add(vin)
  }

  get stats(): PipelineStats {
    return { ...this.stats_, vehicles: this.byVin.size }
  }

  vehicleState(vin: string): VehicleLiveState | undefined {
    return this.byVin.get(vin)
  }

  ingest(raw: unknown): IngestOutcome {
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
      if (!this.forgotten.has(reading.vin) && Date.now() - this.lastRefresh > 5000) {
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
    this.source = source
    this.running = (async () => {
      for await (const reading of source.streamData()) this.ingest(reading)
    })()
      .catch((err) => this.deps.log.error({ err }, 'telemetry stream failed'))
      .finally(() => {
        this.running = undefined
      })
  }

  async stop(): Promise<void> {
    this.source?.stop()
    await this.running
  }
}
