// The dashboards' view of the API: every shape is the server's own (its Zod schemas and the
// real-time contract in src/ingest/messages.ts), imported as types only, so nothing here can
// drift from what the server sends and nothing server-side is bundled.
import type { z } from 'zod'
import type { AlarmCountsSchema } from '../../../src/schemas/alarms'
import type { LoginResponseSchema, UserPublicSchema } from '../../../src/schemas/auth'
import type { BookingDto, FeedbackDto, ServiceCenterSchema, SlotSchema } from '../../../src/schemas/bookings'
import type { ChatActionSchema, ChatMessageDto, ChatResponseSchema } from '../../../src/schemas/chat'
import type { AffectedVehicleSchema, FailureRatesSchema } from '../../../src/schemas/failure-rates'
import type {
  AlarmSchema,
  DiagnosisDtoSchema,
  HistoryEventSchema,
  SignalDtoSchema,
} from '../../../src/schemas/history'
import type {
  InsightNoteSchema,
  InsightSchema,
  InsightSummarySchema,
  InsightWithNotesSchema,
} from '../../../src/schemas/insights'
import type { TelemetryReading } from '../../../src/schemas/telemetry'
import type { TelemetryBucketSchema } from '../../../src/schemas/telemetry-series'
import type { TimelineEntry, TimelineSchema } from '../../../src/schemas/timeline'
import type { ChainReportSchema, UebaLogDto } from '../../../src/schemas/ueba'
import type { UebaEntitySchema } from '../../../src/schemas/ueba-entities'
import type { VehicleDto, VehicleHealthSchema } from '../../../src/schemas/vehicles'

export type { BookingStatus, InsightStatus, Role, Severity } from '../../../src/domain'
export type {
  AlarmNotice,
  AlertData,
  SecurityNotice as SecurityData,
  ServerMessages,
  ServerMessageType,
} from '../../../src/ingest/messages'

export type User = z.infer<typeof UserPublicSchema>
export type LoginResponse = z.infer<typeof LoginResponseSchema>
export type Reading = TelemetryReading
export type VehicleHealth = z.infer<typeof VehicleHealthSchema>
export type Vehicle = VehicleDto
export type Signal = z.infer<typeof SignalDtoSchema>
export type Diagnosis = z.infer<typeof DiagnosisDtoSchema>
export type Booking = BookingDto
export type Feedback = FeedbackDto
export type HistoryEvent = z.infer<typeof HistoryEventSchema>
export type Alarm = z.infer<typeof AlarmSchema>
export type ServiceCenter = z.infer<typeof ServiceCenterSchema>
export type Slot = z.infer<typeof SlotSchema>
export type Insight = z.infer<typeof InsightSchema>
export type InsightSummary = z.infer<typeof InsightSummarySchema>
export type InsightNote = z.infer<typeof InsightNoteSchema>
export type InsightWithNotes = z.infer<typeof InsightWithNotesSchema>
export type FailureRates = z.infer<typeof FailureRatesSchema>
export type AffectedVehicle = z.infer<typeof AffectedVehicleSchema>
export type UebaEntity = z.infer<typeof UebaEntitySchema>
export type UebaLog = UebaLogDto
export type AuditChainReport = z.infer<typeof ChainReportSchema>
export type ChatAction = z.infer<typeof ChatActionSchema>
export type ChatMessage = ChatMessageDto
export type ChatResponse = z.infer<typeof ChatResponseSchema>
export type Timeline = z.infer<typeof TimelineSchema>
export type { TimelineEntry }
export type AlarmCounts = z.infer<typeof AlarmCountsSchema>
export type TelemetryBucket = z.infer<typeof TelemetryBucketSchema>
/** One alarm level of the rules table (GET /api/rules/thresholds). */
export interface RuleThreshold {
  type: string
  label: string
  component: string
  signal: string
  direction: 'above' | 'below'
  threshold: number
  critical: number
}

/** A page of a keyset-paginated list (`?cursor=` the previous page's `next_cursor`). */
export interface Page<T> {
  items: T[]
  next_cursor: string | null
}
