import type { TelemetryReading } from '../../src/schemas/telemetry.js'

/** A healthy reading (values inside every rule's normal range); override what a test is about. */
export function makeReading(
  vin: string,
  timestamp: string | Date,
  overrides: Partial<TelemetryReading> = {},
) {
  return {
    vin,
    timestamp: typeof timestamp === 'string' ? timestamp : timestamp.toISOString(),
    soc: 0.72,
    soh: 0.95,
    battery_voltage: 380,
    battery_current: -40,
    battery_temperature: 30,
    charge_cycles: 150,
    motor_temperature: 55,
    motor_vibration: 0.4,
    motor_torque: 150,
    motor_rpm: 2000,
    power_consumption: 25,
    brake_pad_wear: 0.3,
    brake_pressure: 40,
    reg_brake_efficiency: 0.85,
    tire_pressure: 33,
    tire_temperature: 30,
    suspension_load: 180,
    ambient_temperature: 15,
    ambient_humidity: 45,
    load_weight: 800,
    driving_speed: 55,
    distance_traveled: 12,
    idle_time: 0.5,
    route_roughness: 0.2,
    rul: 250,
    failure_probability: 0,
    maintenance_type: 0,
    ttf: 180,
    component_health_score: 0.9,
    ...overrides,
  } satisfies TelemetryReading
}

/** Timestamps 15 minutes apart from `start`. */
export function step(start: string, i: number): string {
  return new Date(Date.parse(start) + i * 15 * 60_000).toISOString()
}
