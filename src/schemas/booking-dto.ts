import type { BookingView } from '../db/repositories/bookings.js'
import type { BookingFeedback } from '../db/schema.js'
import type { Role } from '../domain.js'
import { slotAtCentre, slotLabel } from '../lib/zoned-time.js'
import { allowedTransitions } from './booking-rules.js'
import type { BookingDto, FeedbackDto } from './bookings.js'
import { iso, isoOrNull } from './common.js'

/** A booking as the API sends it; `role` decides which status buttons a client may show. */
export function toBookingDto(row: BookingView, role: Role | null): BookingDto {
  return {
    id: row.id,
    vehicle_id: row.vehicle_id,
    vin: row.vin,
    vehicle_model: row.vehicle_model,
    owner_id: row.owner_id,
    service_center_id: row.service_center_id,
    service_center_name: row.service_center_name,
    service_center_timezone: row.service_center_timezone,
    appointment_time: iso(row.appointment_time),
    appointment_label: slotLabel(row.appointment_time, row.service_center_timezone),
    slot_label: slotAtCentre(row.appointment_time, row.service_center_timezone, row.service_center_name),
    bay: row.bay,
    status: row.status,
    customer_notes: row.customer_notes,
    source: row.source,
    anomaly_event_id: row.anomaly_event_id,
    anomaly_severity: row.anomaly_severity,
    owner_name: row.owner_name,
    owner_email: row.owner_email,
    service_notes: row.service_notes,
    completed_at: isoOrNull(row.completed_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    allowed_transitions: role ? allowedTransitions(role, row.status) : [],
  }
}

/** A stored rating as the API sends it. */
export function toFeedbackDto(row: BookingFeedback): FeedbackDto {
  return {
    id: row.id,
    booking_id: row.booking_id,
    rating: row.rating,
    comment: row.comment,
    created_at: iso(row.created_at),
  }
}
