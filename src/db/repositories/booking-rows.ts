import type { BookingStatus, Severity } from '../../domain.js'
import type { ServiceBooking } from '../schema.js'

/** The shapes the bookings repository takes and gives. */
export interface BookingDetails {
  serviceCenterId?: string
  bay?: number
  notes?: string | null
  source?: 'customer' | 'agent' | 'chat'
  anomalyEventId?: string | null
  createdBy?: string | null
  idempotencyKey?: string | null
  /**
   * Refuse (TOO_MANY_OPEN_BOOKINGS) when the vehicle already holds `limit` live bookings after
   * `after`. Counted under a lock on the vehicle's row, so concurrent requests cannot overshoot.
   */
  maxOpen?: { limit: number; after: Date }
}

/** A booking with what a person needs to read it: the vehicle, its owner and the centre's name. */
export interface BookingView extends ServiceBooking {
  vin: string
  vehicle_model: string
  owner_id: string
  service_center_name: string
  /** The centre's time zone: the one its appointments are shown in. */
  service_center_timezone: string
  /** Who the desk calls about it. */
  owner_name: string
  owner_email: string
  /** The severity of the alarm it was booked for, now (null without one). */
  anomaly_severity: Severity | null
}

/** What completing a booking may carry: the workshop's notes and who completed it. */
export interface CompletionNotes {
  notes?: string | null
  userId?: string | null
  /** The owner turned an agent's proposal down: kept on its alarm (see `recordDecline`). */
  declined?: boolean
}

export interface BookingFilter {
  statuses?: readonly BookingStatus[]
  vehicleId?: string
  /** Bookings made for any of these anomaly events. */
  anomalyEventIds?: readonly string[]
  serviceCenterId?: string
  from?: Date | string
  to?: Date | string
  limit?: number
}

/** Live bookings of one centre at one start time (what a free-slot count subtracts). */
export interface TakenSlot {
  service_center_id: string
  appointment_time: Date
  taken: number
}
