import type { NumericField } from './telemetry.js'

/**
 * Physical plausibility of each signal: a value outside [min, max] cannot be a measurement of
 * that quantity (a stuck ADC, a unit mix-up, a `1e9` placeholder), so it is invalid for that
 * signal wherever it comes from: the replay, HTTP or MQTT. The pipeline stores null for it,
 * counts it per vehicle and signal, and still uses the reading's other signals; the CSV loader
 * never fills a blank cell from it.
 *
 * The bounds are deliberately wide: they reject impossible values, not unusual ones (a fault is
 * unusual and must get through to detection). Where a quantity is a ratio the bound leaves a
 * little headroom for calibration overshoot (a new pack reports SoH slightly above 100 %).
 * The default rules' `valid_min`/`valid_max` come from this table, so detection and the intake
 * agree on what a measurement is.
 */
export interface SignalRange {
  min: number
  max: number
  unit: string
  /**
   * True for signals a working sensor never holds exactly constant for long (they carry
   * measurement noise). Only these are watched for a stuck sensor; motor speed, torque and the
   * like are legitimately 0 for hours while parked, wear and cycle counters change slowly.
   */
  varies: boolean
}

export const SIGNAL_RANGES: Readonly<Record<NumericField, SignalRange>> = {
  soc: { min: 0, max: 1, unit: 'fraction', varies: false },
  soh: { min: 0, max: 1.2, unit: 'fraction', varies: false },
  // Up to 1000 V covers 800 V architectures at full charge.
  battery_voltage: { min: 0, max: 1000, unit: 'V', varies: true },
  battery_current: { min: -2000, max: 2000, unit: 'A', varies: false },
  // Li-ion cells vent well below 120 C; below -40 C no pack operates.
  battery_temperature: { min: -40, max: 120, unit: '°C', varies: true },
  charge_cycles: { min: 0, max: 20_000, unit: 'cycles', varies: false },
  motor_temperature: { min: -40, max: 250, unit: '°C', varies: true },
  motor_vibration: { min: 0, max: 50, unit: 'g', varies: false },
  motor_torque: { min: -2000, max: 2000, unit: 'Nm', varies: false },
  motor_rpm: { min: -25_000, max: 25_000, unit: 'rpm', varies: false },
  power_consumption: { min: -1000, max: 1000, unit: 'kW', varies: false },
  brake_pad_wear: { min: 0, max: 1, unit: 'fraction worn', varies: false },
  brake_pressure: { min: 0, max: 300, unit: 'bar', varies: false },
  reg_brake_efficiency: { min: 0, max: 1, unit: 'fraction', varies: false },
  tire_pressure: { min: 0, max: 100, unit: 'psi', varies: true },
  tire_temperature: { min: -40, max: 150, unit: '°C', varies: true },
  suspension_load: { min: 0, max: 10_000, unit: 'kg', varies: false },
  ambient_temperature: { min: -60, max: 60, unit: '°C', varies: true },
  ambient_humidity: { min: 0, max: 100, unit: '%', varies: false },
  load_weight: { min: 0, max: 10_000, unit: 'kg', varies: false },
  driving_speed: { min: 0, max: 300, unit: 'km/h', varies: false },
  // Per interval in our fleet, an odometer in some exports: bounded by a lifetime's distance.
  distance_traveled: { min: 0, max: 10_000_000, unit: 'km', varies: false },
  idle_time: { min: 0, max: 8760, unit: 'h', varies: false },
  route_roughness: { min: 0, max: 10, unit: 'index', varies: false },
  rul: { min: 0, max: 100_000, unit: 'days', varies: false },
  failure_probability: { min: 0, max: 1, unit: 'probability', varies: false },
  maintenance_type: { min: 0, max: 10, unit: 'category', varies: false },
  ttf: { min: 0, max: 100_000, unit: 'h', varies: false },
  component_health_score: { min: 0, max: 1.2, unit: 'score', varies: false },
}

/** Whether `value` can be a measurement of `field` (a finite number inside its range). */
export function isPlausible(field: NumericField, value: number): boolean {
  const range = SIGNAL_RANGES[field]
  return value >= range.min && value <= range.max
}
