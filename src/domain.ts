import { z } from 'zod'

/**
 * The vocabulary every layer shares, defined once: who people are (roles), how bad a fault is
 * (severities) and the life cycles of alarms, bookings and audit rows. The database's CHECK
 * constraints (`db/migrations`) spell the same values.
 */

/** Vehicle owners, service centres and the OEM's quality engineers. */
export const ROLES = ['customer', 'service', 'manufacturer'] as const
export const RoleSchema = z.enum(ROLES)
export type Role = z.infer<typeof RoleSchema>

/** Staff see the whole fleet; an owner sees only their own vehicles. */
export const STAFF: readonly Role[] = ['service', 'manufacturer']

/** Severity ladder shared by anomaly events, diagnoses and customer messages. */
export const SEVERITIES = ['Low', 'Medium', 'High', 'Critical'] as const
export const SeveritySchema = z.enum(SEVERITIES)
export type Severity = z.infer<typeof SeveritySchema>

/** 0 = Low ... 3 = Critical, for comparisons. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { Low: 0, Medium: 1, High: 2, Critical: 3 }

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b
}

/**
 * High and Critical: the owner is told to have it serviced within days (or not to drive), so the
 * agents take the earliest slot; below that a visit can wait for a quieter day.
 */
export function isUrgent(severity: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK.High
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)
}

/**
 * How an episode's remaining useful life was estimated: a robust trend toward the next limit, the
 * signal already past its last limit (0 days), or no trend the data support (unknown).
 */
export const RUL_METHODS = ['theil-sen', 'crossed', 'insufficient-trend'] as const
export type RulMethod = (typeof RUL_METHODS)[number]

/** An alarm (anomaly episode): open, acknowledged by staff, or resolved. */
export const ANOMALY_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const
export type AnomalyStatus = (typeof ANOMALY_STATUSES)[number]

/**
 * The alarm type of a vehicle whose data cannot be trusted (stale, a stuck sensor, implausible
 * values). Staff only: it is a job for the fleet's operators, not a fault to tell an owner
 * about, so owner-facing reads (alarms, history, vehicle health, chat) leave it out.
 */
export const DATA_QUALITY_ALARM = 'data_quality'

/** A service booking's life cycle (the transitions are in `schemas/booking-rules.ts`). */
export const BOOKING_STATUSES = ['PENDING', 'CONFIRMED', 'COMPLETED', 'CANCELLED'] as const
export type BookingStatus = (typeof BOOKING_STATUSES)[number]

/** What the UEBA gate decided about an attempt. */
export const UEBA_STATUSES = ['ALLOWED', 'BLOCKED'] as const
export type UebaStatus = (typeof UEBA_STATUSES)[number]

/**
 * Where the quality engineers are with an insight: just found, being investigated, a corrective
 * action taken, closed. Any step may follow any other (an insight is reopened when a fix did not hold).
 */
export const INSIGHT_STATUSES = ['new', 'investigating', 'action_taken', 'closed'] as const
export const InsightStatusSchema = z.enum(INSIGHT_STATUSES)
export type InsightStatus = z.infer<typeof InsightStatusSchema>

/**
 * The window one reading summarises (the dataset's "15min": distance, idle time and the like are
 * per window). Operating time is readings x this, whenever they were sent: a live replay (a
 * time-lapse) sends a window every few seconds.
 */
export const READING_WINDOW_MINUTES = 15
