import type { TelemetryReading } from '../schemas/telemetry.js'

/** The numeric fields of a reading (all but vin and timestamp). */
const NUMERIC_COUNT = 29

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
