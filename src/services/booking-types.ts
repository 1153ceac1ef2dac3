import type { ServiceBooking } from '../db/schema.js'

/** What booking a slot takes and gives back (shared by the chat and the scheduling agent). */
export interface BookOptions {
  serviceCenterId?: string
  notes?: string | null
  source?: 'customer' | 'agent' | 'chat'
  anomalyEventId?: string | null
  createdBy?: string | null
  idempotencyKey?: string | null
  status?: 'PENDING' | 'CONFIRMED'
}

export interface BookResult {
  booking: ServiceBooking
  /** True when an earlier booking with the same creator and idempotency key was returned. */
  replayed: boolean
}
