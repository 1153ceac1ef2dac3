import type { ChartField } from './telemetry-buffer'

export interface ChartDef {
  field: ChartField
  label: string
  unit: string
  color: string
  digits: number
}

/** The signals the dashboards chart, with their units: the same words as the alert headlines. */
export const CHARTS: readonly ChartDef[] = [
  { field: 'driving_speed', label: 'Speed', unit: 'km/h', color: '#0b5cad', digits: 0 },
  { field: 'motor_rpm', label: 'Motor RPM', unit: 'rpm', color: '#6b3fa0', digits: 0 },
  { field: 'battery_temperature', label: 'Battery temperature', unit: '°C', color: '#b3261e', digits: 1 },
  { field: 'motor_vibration', label: 'Motor vibration', unit: 'g', color: '#8a5a00', digits: 2 },
]
