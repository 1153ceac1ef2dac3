// Shapes of docs/api.md, the contract the backend implements. Only what the dashboards read.

export type Role = 'customer' | 'service' | 'manufacturer'
export type Severity = 'Low' | 'Medium' | 'High' | 'Critical'
export type BookingStatus = 'PENDING' | 'CONFIRMED' | 'COMPLETED' | 'CANCELLED'

export interface User {
  id: string
  email: string
  role: Role
  name: string
}

export interface LoginResponse {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  user: User
}

export interface Reading {
  vin: string
  timestamp: string
  driving_speed: number
  motor_rpm: number
  battery_temperature: number
  motor_vibration: number
  [field: string]: number | string | null
}

export interface VehicleHealth {
  status: 'ok' | 'warning' | 'critical' | 'unknown'
  open_alarms: number
  rul_days: number | null
  worst_severity: Severity | null
}

export interface Vehicle {
  id: string
  vin: string
  model: string
  year: number
  batch: string
  vehicle_type: string
  owner_id: string
  last_reading_at: string | null
  health: VehicleHealth
  latest: Reading | null
}

export interface Signal {
  signal: string
  value: number
  threshold?: number
  baseline?: number
  score: number
  kind: 'threshold' | 'drift'
}

export interface Diagnosis {
  id: string
  diagnosis_text: string
  confidence_score: number | null
  severity: Severity | null
  component: string | null
  recommended_action: string | null
  created_at: string
}

export interface Booking {
  id: string
  vehicle_id: string
  vin: string
  vehicle_model: string
  owner_id: string
  service_center_id: string
  service_center_name: string
  appointment_time: string
  bay: number | null
  status: BookingStatus
  customer_notes: string | null
  source: string | null
  anomaly_event_id: string | null
  created_at: string
  updated_at: string
  allowed_transitions: BookingStatus[]
}

export interface HistoryEvent {
  id: string
  detected_at: string
  last_seen_at: string
  anomaly_type: string
  severity: Severity
  status: string
  reason: string | null
  rul_prediction: number | null
  occurrences: number
  signals: Signal[]
  sensor_snapshot: Record<string, unknown> | null
  diagnoses: Diagnosis[]
  bookings: Booking[]
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface ServiceCenter {
  id: string
  name: string
  city: string
  bays: number
  opening_hour: number
  closing_hour: number
  slot_minutes: number
  timezone: string
}

export interface Alarm extends HistoryEvent {
  vin: string
  vehicle_model: string
  batch: string
}

export interface Insight {
  id: string
  component_name: string
  failure_pattern: string
  affected_batch: string | null
  recommendation: string | null
  confidence_score: number | null
  event_count: number
  evidence: Record<string, unknown>
  created_at: string
  updated_at: string
}

export interface InsightSummary {
  components: string[]
  batches: string[]
  counts: Array<{ component: string; batch: string; events: number; vehicles: number }>
}

export interface UebaLog {
  id: string
  agent_name: string
  action_type: string
  source_node: string | null
  target_node: string | null
  status: 'ALLOWED' | 'BLOCKED'
  vin: string | null
  run_id: string | null
  details: unknown
  timestamp: string
}

export type ChatAction =
  | { type: 'book_slot'; label: string; slot_time: string; service_center_id: string }
  | { type: 'confirm_booking' | 'decline'; label: string; booking_id?: string }

export interface ChatMessage {
  id: string
  vin: string
  sender: 'customer' | 'agent'
  content: string
  created_at: string
  actions?: ChatAction[]
}

export interface Slot {
  service_center_id: string
  service_center_name: string
  start: string
  end: string
  free_bays: number
}

export interface ChatResponse {
  reply: ChatMessage
  offered_slots?: Slot[]
  booking?: Booking
}

export interface AlertData {
  vin: string
  anomaly_event_id: string
  anomaly_type: string
  reason: string
  severity: Severity
  diagnosis: string
  rul: number | null
  signals: Signal[]
  recommended_action: string | null
}

export interface SecurityData {
  message: string
  source: string
  target: string
  vin: string | null
  agent: string
  timestamp: string
}

/** Server -> client WebSocket messages, `{type, data}`. */
export interface ServerMessages {
  hello: { user: { id: string; role: Role }; vins: string[] | 'all' }
  telemetry: Reading
  alert: AlertData
  chat: ChatMessage
  booking: Booking
  alarm: { id: string; vin: string; status: string; severity: Severity; anomaly_type: string }
  security: SecurityData
  ueba: UebaLog
  error: { code: string; message: string }
  pong: undefined
}

export type ServerMessageType = keyof ServerMessages
