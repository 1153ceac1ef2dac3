import { z } from 'zod'

/**
 * The 30 columns of the public "EV Predictive Maintenance Dataset 15min", in file order and
 * exact header spelling. Our own fleet file adds a leading `VIN` column.
 */
export const PUBLIC_COLUMNS = [
  'Timestamp',
  'SoC',
  'SoH',
  'Battery_Voltage',
  'Battery_Current',
  'Battery_Temperature',
  'Charge_Cycles',
  'Motor_Temperature',
  'Motor_Vibration',
  'Motor_Torque',
  'Motor_RPM',
  'Power_Consumption',
  'Brake_Pad_Wear',
  'Brake_Pressure',
  'Reg_Brake_Efficiency',
  'Tire_Pressure',
  'Tire_Temperature',
  'Suspension_Load',
  'Ambient_Temperature',
  'Ambient_Humidity',
  'Load_Weight',
  'Driving_Speed',
  'Distance_Traveled',
  'Idle_Time',
  'Route_Roughness',
  'RUL',
  'Failure_Probability',
  'Maintenance_Type',
  'TTF',
  'Component_Health_Score',
] as const

export type PublicColumn = (typeof PUBLIC_COLUMNS)[number]

/** `Battery_Temperature` -> `battery_temperature`, `SoC` -> `soc`, `Motor_RPM` -> `motor_rpm`. */
export function canonicalName(column: string): string {
  return column.trim().toLowerCase()
}

/** The numeric columns (everything but Timestamp), canonical names, in file order. */
export const NUMERIC_FIELDS = PUBLIC_COLUMNS.slice(1).map(canonicalName) as readonly string[]

export type NumericField =
  | 'soc'
  | 'soh'
  | 'battery_voltage'
  | 'battery_current'
  | 'battery_temperature'
  | 'charge_cycles'
  | 'motor_temperature'
  | 'motor_vibration'
  | 'motor_torque'
  | 'motor_rpm'
  | 'power_consumption'
  | 'brake_pad_wear'
  | 'brake_pressure'
  | 'reg_brake_efficiency'
  | 'tire_pressure'
  | 'tire_temperature'
  | 'suspension_load'
  | 'ambient_temperature'
  | 'ambient_humidity'
  | 'load_weight'
  | 'driving_speed'
  | 'distance_traveled'
  | 'idle_time'
  | 'route_roughness'
  | 'rul'
  | 'failure_probability'
  | 'maintenance_type'
  | 'ttf'
  | 'component_health_score'

/** null: no valid value for this signal (the device sent none, or it was physically implausible). */
const finite = z.number().finite().nullable()

/**
 * One telemetry reading as it travels through Autonoma: canonical snake_case names, `timestamp`
 * as an ISO-8601 UTC string, every sensor value a plain finite JSON number or null. The pipeline
 * turns a value outside its signal's plausible range (`signal-ranges.ts`) into null.
 */
export const TelemetryReadingSchema = z.object({
  vin: z.string().min(1).max(32),
  timestamp: z.iso.datetime({ offset: true }),
  soc: finite,
  soh: finite,
  battery_voltage: finite,
  battery_current: finite,
  battery_temperature: finite,
  charge_cycles: finite,
  motor_temperature: finite,
  motor_vibration: finite,
  motor_torque: finite,
  motor_rpm: finite,
  power_consumption: finite,
  brake_pad_wear: finite,
  brake_pressure: finite,
  reg_brake_efficiency: finite,
  tire_pressure: finite,
  tire_temperature: finite,
  suspension_load: finite,
  ambient_temperature: finite,
  ambient_humidity: finite,
  load_weight: finite,
  driving_speed: finite,
  distance_traveled: finite,
  idle_time: finite,
  route_roughness: finite,
  rul: finite,
  failure_probability: finite,
  maintenance_type: finite,
  ttf: finite,
  component_health_score: finite,
})

export type TelemetryReading = z.infer<typeof TelemetryReadingSchema>
