import type { TelemetryReading } from '../schemas/telemetry.js'

/** The numeric fields of a reading (all but vin and timestamp). */
const NUMERIC_COUNT = 29

/** A signal without a valid value is held as NaN in the flat array and given back as null. */
function orNull(x: number): number | null {
  return Number.isNaN(x) ? null : x
}

/**
 * A vehicle's recent readings, kept as numbers rather than objects: one Float64Array of
 * capacity x 29 values (allocated with the vehicle's first reading) and the timestamps. As
 * objects, 240 readings for each of 1,000 vehicles were about 140 MB of long-lived heap for the
 * garbage collector to promote and trace (see BENCHMARKS.md); this is 57 MB of flat arrays with
 * nothing to trace. `toArray` and `last` rebuild plain reading objects.
 */
export class ReadingRing {
  private values: Float64Array | undefined
  private readonly timestamps: string[]
  private head = 0
  private count = 0

  constructor(
    readonly capacity: number,
    private readonly vin: string,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be a positive integer')
    this.timestamps = new Array<string>(capacity)
  }

  get length(): number {
    return this.count
  }

  push(r: TelemetryReading): void {
    const slot = (this.head + this.count) % this.capacity
    this.values ??= new Float64Array(this.capacity * NUMERIC_COUNT)
    const v = this.values
    let o = slot * NUMERIC_COUNT
    v[o++] = r.soc ?? Number.NaN
    v[o++] = r.soh ?? Number.NaN
    v[o++] = r.battery_voltage ?? Number.NaN
    v[o++] = r.battery_current ?? Number.NaN
    v[o++] = r.battery_temperature ?? Number.NaN
    v[o++] = r.charge_cycles ?? Number.NaN
    v[o++] = r.motor_temperature ?? Number.NaN
    v[o++] = r.motor_vibration ?? Number.NaN
    v[o++] = r.motor_torque ?? Number.NaN
    v[o++] = r.motor_rpm ?? Number.NaN
    v[o++] = r.power_consumption ?? Number.NaN
    v[o++] = r.brake_pad_wear ?? Number.NaN
    v[o++] = r.brake_pressure ?? Number.NaN
    v[o++] = r.reg_brake_efficiency ?? Number.NaN
    v[o++] = r.tire_pressure ?? Number.NaN
    v[o++] = r.tire_temperature ?? Number.NaN
    v[o++] = r.suspension_load ?? Number.NaN
    v[o++] = r.ambient_temperature ?? Number.NaN
    v[o++] = r.ambient_humidity ?? Number.NaN
    v[o++] = r.load_weight ?? Number.NaN
    v[o++] = r.driving_speed ?? Number.NaN
    v[o++] = r.distance_traveled ?? Number.NaN
    v[o++] = r.idle_time ?? Number.NaN
    v[o++] = r.route_roughness ?? Number.NaN
    v[o++] = r.rul ?? Number.NaN
    v[o++] = r.failure_probability ?? Number.NaN
    v[o++] = r.maintenance_type ?? Number.NaN
    v[o++] = r.ttf ?? Number.NaN
    v[o] = r.component_health_score ?? Number.NaN
    this.timestamps[slot] = r.timestamp
    if (this.count < this.capacity) this.count++
    else this.head = (this.head + 1) % this.capacity
  }

  /** The newest reading, if any. */
  last(): TelemetryReading | undefined {
    return this.count === 0 ? undefined : this.at((this.head + this.count - 1) % this.capacity)
  }

  /** Oldest first; at most `limit` of the newest. */
  toArray(limit = this.count): TelemetryReading[] {
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
      soc: orNull(v[o]!),
      soh: orNull(v[o + 1]!),
      battery_voltage: orNull(v[o + 2]!),
      battery_current: orNull(v[o + 3]!),
      battery_temperature: orNull(v[o + 4]!),
      charge_cycles: orNull(v[o + 5]!),
      motor_temperature: orNull(v[o + 6]!),
      motor_vibration: orNull(v[o + 7]!),
      motor_torque: orNull(v[o + 8]!),
      motor_rpm: orNull(v[o + 9]!),
      power_consumption: orNull(v[o + 10]!),
      brake_pad_wear: orNull(v[o + 11]!),
      brake_pressure: orNull(v[o + 12]!),
      reg_brake_efficiency: orNull(v[o + 13]!),
      tire_pressure: orNull(v[o + 14]!),
      tire_temperature: orNull(v[o + 15]!),
      suspension_load: orNull(v[o + 16]!),
      ambient_temperature: orNull(v[o + 17]!),
      ambient_humidity: orNull(v[o + 18]!),
      load_weight: orNull(v[o + 19]!),
      driving_speed: orNull(v[o + 20]!),
      distance_traveled: orNull(v[o + 21]!),
      idle_time: orNull(v[o + 22]!),
      route_roughness: orNull(v[o + 23]!),
      rul: orNull(v[o + 24]!),
      failure_probability: orNull(v[o + 25]!),
      maintenance_type: orNull(v[o + 26]!),
      ttf: orNull(v[o + 27]!),
      component_health_score: orNull(v[o + 28]!),
    }
  }
}
