import type { FastifyBaseLogger } from 'fastify'
import type { Repositories } from '../db/repositories/index.js'
import { type TelemetryReading, TelemetryReadingSchema } from '../schemas/telemetry.js'
import { type EventBus, STAFF } from './event-bus.js'
import { RingBuffer } from './ring-buffer.js'
import type { TelemetryWriter } from './telemetry-writer.js'
import { publishSerialized } from './ws-hub.js'

export interface VehicleRef {
  id: string
  vin: string
  ownerId: string
  model: string
  batch: string | null
}

/**
 * A vehicle's recent readings, kept as numbers rather than objects: one Float64Array of
 * capacity x 29 values (allocated with the vehicle's first reading) and the timestamps. As
 * objects, 240 readings for each of 1,000 vehicles were about 140 MB of long-lived heap for the
 * garbage collector to promote and trace (see BENCHMARKS.md); this is 57 MB of flat arrays with
 * nothing to trace. `toArray` and `last` rebuild plain reading objects.
 */
class ReadingRing extends RingBuffer<TelemetryReading> {
  private values: Float64Array | undefined
  private readonly timestamps: string[]
  private head = 0
  private count = 0

  constructor(
    capacity: number,
    private readonly vin: string,
  ) {
    super(capacity)
    this.timestamps = new Array<string>(capacity)
  }

  override get length(): number {
    return this.count
  }

  override push(r: TelemetryReading): void {
    const slot = (this.head + this.count) % this.capacity
    this.values ??= new Float64Array(this.capacity * NUMERIC_COUNT)
    const v = this.values
    let o = slot * NUMERIC_COUNT
    v[o++] = r.soc
    v[o++] = r.soh
    v[o++] = r.battery_voltage
    v[o++] = r.battery_current
    v[o++] = r.battery_temperature
    v[o++] = r.charge_cycles
    v[o++] = r.motor_temperature
    v[o++] = r.motor_vibration
    v[o++] = r.motor_torque
    v[o++] = r.motor_rpm
    v[o++] = r.power_consumption
    v[o++] = r.brake_pad_wear
    v[o++] = r.brake_pressure
    v[o++] = r.reg_brake_efficiency
    v[o++] = r.tire_pressure
    v[o++] = r.tire_temperature
    v[o++] = r.suspension_load
    v[o++] = r.ambient_temperature
    v[o++] = r.ambient_humidity
    v[o++] = r.load_weight
    v[o++] = r.driving_speed
    v[o++] = r.distance_traveled
    v[o++] = r.idle_time
    v[o++] = r.route_roughness
    v[o++] = r.rul
    v[o++] = r.failure_probability
    v[o++] = r.maintenance_type
    v[o++] = r.ttf
    v[o] = r.component_health_score
    this.timestamps[slot] = r.timestamp
    if (this.count < this.capacity) this.count++
    else this.head = (this.head + 1) % this.capacity
  }

  override last(): TelemetryReading | undefined {
    return this.count === 0 ? undefined : this.at((this.head + this.count - 1) % this.capacity)
  }

  override toArray(limit = this.count): TelemetryReading[] {
    const n = Math.min(limit, this.count)
    const out: TelemetryReading[] = new Array(n)
    const first = this.count - n
    for (let i = 0; i < n; i++) out[i] = this.at((this.head + first + i) % this.capacity)
    return out
  }

  /** The reading in `slot`, with the schema's key order (one hidden class for all of them). */
  private at(slot: number): TelemetryReading {
    const v = this.values!
    const o = slot * NUMERIC_COUNT
    return {
      vin: this.vin,
      timestamp: this.timestamps[slot]!,
      soc: v[o]!,
      soh: v[o + 1]!,
      battery_voltage: v[o + 2]!,
      battery_current: v[o + 3]!,
      battery_temperature: v[o + 4]!,
      charge_cycles: v[o + 5]!,
      motor_temperature: v[o + 6]!,
      motor_vibration: v[o + 7]!,
      motor_torque: v[o + 8]!,
      motor_rpm: v[o + 9]!,
      power_consumption: v[o + 10]!,
      brake_pad_wear: v[o + 11]!,
      brake_pressure: v[o + 12]!,
      reg_brake_efficiency: v[o + 13]!,
      tire_pressure: v[o + 14]!,
      tire_temperature: v[o + 15]!,
      suspension_load: v[o + 16]!,
      ambient_temperature: v[o + 17]!,
      ambient_humidity: v[o + 18]!,
      load_weight: v[o + 19]!,
      driving_speed: v[o + 20]!,
      distance_traveled: v[o + 21]!,
      idle_time: v[o + 22]!,
      route_roughness: v[o + 23]!,
      rul: v[o + 24]!,
      failure_probability: v[o + 25]!,
      maintenance_type: v[o + 26]!,
      ttf: v[o + 27]!,
      component_health_score: v[o + 28]!,
    }
  }
}

const NUMERIC_COUNT = 29

/** What the service knows about a vehicle right now, kept in memory and bounded. */
export interface VehicleLiveState {
  vehicle: VehicleRef
  latest: TelemetryReading | null
  recent: RingBuffer<TelemetryReading>
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
    publishSerialized(reading, json, () =>
      this.deps.bus.publish({
        type: 'telemetry',
        data: reading,
        vin: reading.vin,
        ownerId: state.vehicle.ownerId,
        roles: STAFF,
      }),
    )
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
