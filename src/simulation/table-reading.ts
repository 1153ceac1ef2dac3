import type { TelemetryReading } from '../schemas/telemetry.js'
import type { TelemetryTable } from './csv-loader.js'

/** A cell the loader could not fill (a column without any plausible value) is null in the reading. */
function v(x: number): number | null {
  return Number.isNaN(x) ? null : x
}

/** One reading as a literal with a fixed key order, so every reading shares one hidden class. */
export function readingAt(
  table: TelemetryTable,
  i: number,
  vin: string,
  timestamp: string,
): TelemetryReading {
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
