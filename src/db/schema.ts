import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type {
  AnomalyStatus,
  BookingStatus,
  InsightStatus,
  Role,
  RulMethod,
  Severity,
  UebaStatus,
} from '../domain.js'

/** Row types of the tables in `migrations/*.sql`, for Kysely. Keep the two in step. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string> // has a default (now())
/** Nullable columns added by later migrations: optional on insert. */
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type Json<T = unknown> = ColumnType<T, string | T | undefined, string | T>

export interface UsersTable {
  id: Generated<string>
  email: string
  password_hash: string
  role: Role
  name: Generated<string>
  service_center_id: string | null
  created_at: DefaultTimestamp
  /** Signed into every token; bumped to revoke them all. */
  token_version: Generated<number>
  disabled_at: NullableTime
}

export interface ServiceCentersTable {
  id: Generated<string>
  name: string
  city: string
  bays: number
  opening_hour: number
  closing_hour: number
  slot_minutes: Generated<number>
  timezone: Generated<string>
  created_at: DefaultTimestamp
}

export interface VehiclesTable {
  id: Generated<string>
  owner_id: string
  vin: string
  model: string
  year: number | null
  vehicle_type: Generated<'EV' | 'ICE'>
  batch: string | null
  created_at: DefaultTimestamp
  /** Set when the vehicle is taken out of the fleet: its row and history stay, its intake stops. */
  decommissioned_at: NullableTime
}

/** One device credential per vehicle: only the SHA-256 (hex) of the token is kept. */
export interface DeviceCredentialsTable {
  vehicle_id: string
  token_hash: string
  issued_at: DefaultTimestamp
}

/** Partitioned by day; one row per (vehicle, timestamp). `vals` follows NUMERIC_FIELDS' order. */
export interface TelemetryLogsTable {
  vehicle_id: string
  ts: Timestamp
  vals: (number | null)[]
}

/** Per (vehicle, UTC hour): readings and per-signal min/avg/max in `vals`' order (migration 0005). */
export interface TelemetryHourlyTable {
  vehicle_id: string
  bucket: Timestamp
  n: number
  min_vals: (number | null)[]
  avg_vals: (number | null)[]
  max_vals: (number | null)[]
  updated_at: DefaultTimestamp
}

export interface AnomalyEventsTable {
  id: Generated<string>
  vehicle_id: string
  detected_at: DefaultTimestamp
  anomaly_type: string
  severity: Severity
  reason: string | null
  sensor_snapshot: Json<Record<string, unknown>>
  signals: Json<unknown[]>
  peak_values: Json<Record<string, number>>
  /** The remaining useful life's median, days (migration 0008 adds the rest of the estimate). */
  rul_prediction: number | null
  rul_low_days: Nullable<number>
  rul_high_days: Nullable<number>
  rul_method: Nullable<RulMethod>
  rul_limit: Nullable<number>
  rul_estimated_at: NullableTime
  /** Opened and resolved again and again: flagged for staff, not re-notified (migration 0010). */
  flapping: Generated<boolean>
  status: Generated<AnomalyStatus>
  last_seen_at: DefaultTimestamp
  occurrences: Generated<number>
  acknowledged_at: Timestamp | null
  acknowledged_by: string | null
  resolved_at: Timestamp | null
  resolution: 'recovered' | 'serviced' | 'manual' | null
  created_at: DefaultTimestamp
  /** Who works on it, what they wrote acknowledging it (0016); the owner's decline and the serviced episode it repeats (0019). */
  assigned_to: Nullable<string>
  assigned_at: NullableTime
  acknowledged_note: Nullable<string>
  owner_declined_at: NullableTime
  owner_declined_severity: Nullable<Severity>
  repeat_of: Nullable<string>
}

export interface DiagnosesTable {
  id: Generated<string>
  anomaly_event_id: string
  diagnosis_text: string
  confidence_score: number
  severity: Severity | null
  component: string | null
  recommended_action: string | null
  created_at: DefaultTimestamp
}

export interface ServiceBookingsTable {
  id: Generated<string>
  vehicle_id: string
  service_center_id: string
  appointment_time: Timestamp
  bay: Generated<number>
  status: Generated<BookingStatus>
  customer_notes: string | null
  source: Generated<'customer' | 'agent' | 'chat'>
  anomaly_event_id: string | null
  created_by: string | null
  idempotency_key: string | null
  created_at: DefaultTimestamp
  updated_at: DefaultTimestamp
  /** What the workshop did, written when it completed the booking (migration 0016). */
  service_notes: Nullable<string>
  completed_at: NullableTime
  completed_by: Nullable<string>
}

/** Steps of an alarm that leave no row of their own: escalations, acknowledgements, assignments. */
export interface AlarmActivityTable {
  id: Generated<string>
  anomaly_event_id: string
  kind: 'escalated' | 'acknowledged' | 'assigned' | 'unassigned' | 'declined'
  user_id: string | null
  note: string | null
  details: Json<Record<string, unknown>>
  at: DefaultTimestamp
}

export interface ManufacturingInsightsTable {
  id: Generated<string>
  component_name: string
  failure_pattern: string
  affected_batch: string | null
  recommendation: string | null
  confidence_score: number | null
  evidence: Json<Record<string, unknown>>
  event_count: Generated<number>
  status: Generated<InsightStatus>
  status_changed_at: Date | null
  status_changed_by: string | null
  created_at: DefaultTimestamp
  updated_at: DefaultTimestamp
}

export interface InsightNotesTable {
  id: Generated<string>
  insight_id: string
  user_id: string | null
  from_status: InsightStatus
  to_status: InsightStatus
  note: string | null
  created_at: DefaultTimestamp
}

export interface UebaLogsTable {
  id: Generated<string>
  agent_name: string
  action_type: string
  source_node: string | null
  target_node: string | null
  status: UebaStatus
  vehicle_id: string | null
  user_id: string | null
  run_id: string | null
  details: Json<Record<string, unknown>> | null
  timestamp: DefaultTimestamp
  actor_kind: ColumnType<AuditActorKind, AuditActorKind | undefined, AuditActorKind>
  actor_id: string | null
  reason: string | null
  request_id: string | null
  /** Position in the hash chain (1, 2, ...), set by the append that stores the row. */
  seq: ColumnType<string, string | number, string | number>
  prev_hash: string | null
  hash: string | null
}

/** Who did what an audit row records. */
export type AuditActorKind = 'agent' | 'user' | 'device' | 'anonymous' | 'system'

/** The audit chain's head (one row): the last link appended. */
export interface UebaChainTable {
  id: number
  seq: ColumnType<string, string | number, string | number>
  hash: string | null
}

/** Behaviour analytics of one entity or peer group (see agents/ueba/entity.ts for `model`). */
export interface UebaEntitiesTable {
  id: string
  kind: 'agent' | 'user' | 'device' | 'peer_group'
  label: string
  state: 'active' | 'quarantined' | 'locked'
  score: number
  score_at: Timestamp
  reasons: Json<unknown[]>
  model: Json<Record<string, unknown>>
  events: ColumnType<string, string | number, string | number>
  first_seen: Timestamp
  last_seen: Timestamp
  released_at: Date | null
  released_by: string | null
  updated_at: DefaultTimestamp
}

export interface ChatMessagesTable {
  id: Generated<string>
  vehicle_id: string
  user_id: string | null
  sender: 'customer' | 'agent'
  content: string
  actions: Json<unknown[]>
  intent: string | null
  anomaly_event_id: string | null
  booking_id: string | null
  /** Set on messages that must exist once (an episode's alert message): a unique key. */
  dedupe_key: Generated<string | null>
  created_at: DefaultTimestamp
}

export interface BookingFeedbackTable {
  id: Generated<string>
  booking_id: string
  user_id: string | null
  rating: number
  comment: string | null
  created_at: DefaultTimestamp
}

export interface Database {
  users: UsersTable
  service_centers: ServiceCentersTable
  vehicles: VehiclesTable
  device_credentials: DeviceCredentialsTable
  telemetry_logs: TelemetryLogsTable
  telemetry_hourly: TelemetryHourlyTable
  anomaly_events: AnomalyEventsTable
  diagnoses: DiagnosesTable
  service_bookings: ServiceBookingsTable
  manufacturing_insights: ManufacturingInsightsTable
  insight_notes: InsightNotesTable
  ueba_logs: UebaLogsTable
  ueba_chain: UebaChainTable
  ueba_entities: UebaEntitiesTable
  chat_messages: ChatMessagesTable
  booking_feedback: BookingFeedbackTable
  alarm_activity: AlarmActivityTable
}

export type User = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type ServiceCenter = Selectable<ServiceCentersTable>
export type NewServiceCenter = Insertable<ServiceCentersTable>
export type Vehicle = Selectable<VehiclesTable>
export type NewVehicle = Insertable<VehiclesTable>
export type VehicleUpdate = Updateable<VehiclesTable>
export type UserUpdate = Updateable<UsersTable>
export type DeviceCredential = Selectable<DeviceCredentialsTable>
export type AnomalyEvent = Selectable<AnomalyEventsTable>
export type Diagnosis = Selectable<DiagnosesTable>
export type ServiceBooking = Selectable<ServiceBookingsTable>
export type ManufacturingInsight = Selectable<ManufacturingInsightsTable>
export type InsightNote = Selectable<InsightNotesTable>
export type UebaLog = Selectable<UebaLogsTable>
/** A log row as its event made it, before the chain gave it a place (`seq`) and a hash. */
export type UebaLogEntry = Omit<UebaLog, 'seq' | 'prev_hash' | 'hash'>
export type ChatMessage = Selectable<ChatMessagesTable>
export type BookingFeedback = Selectable<BookingFeedbackTable>
