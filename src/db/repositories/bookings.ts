import type { Db } from '../client.js'
import type { BookingStatus, ServiceBooking } from '../schema.js'

export interface BookingDetails {
  serviceCenterId?: string
  bay?: number
  notes?: string | null
  source?: 'customer' | 'agent' | 'chat'
  anomalyEventId?: string | null
  createdBy?: string | null
  idempotencyKey?: string | null
}

export function bookingsRepository(db: Db) {
  return {
    /**
     * The spec's `create_booking(vehicle_id, slot_time, status)`. Without a centre it books the
     * first centre by name, the way a single-centre deployment would.
     */
    async createBooking(
      vehicleId: string,
      slotTime: Date | string,
      status: BookingStatus = 'PENDING',
      details: BookingDetails = {},
    ): Promise<ServiceBooking> {
      const centerId =
        details.serviceCenterId ??
        (await db.selectFrom('service_centers').select('id').orderBy('name').executeTakeFirstOrThrow()).id
      return db
        .insertInto('service_bookings')
        .values({
          vehicle_id: vehicleId,
          service_center_id: centerId,
          appointment_time: slotTime,
          status,
          bay: details.bay ?? 1,
          customer_notes: details.notes ?? null,
          source: details.source ?? 'customer',
          anomaly_event_id: details.anomalyEventId ?? null,
          created_by: details.createdBy ?? null,
          idempotency_key: details.idempotencyKey ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
    },

    /** The spec's `get_bookings(status)`: one status, several, or all; soonest first. */
    getBookings(status?: BookingStatus | readonly BookingStatus[]): Promise<ServiceBooking[]> {
      let q = db.selectFrom('service_bookings').selectAll()
      if (typeof status === 'string') q = q.where('status', '=', status)
      else if (status && status.length > 0) q = q.where('status', 'in', status)
      return q.orderBy('appointment_time').orderBy('id').execute()
    },

    getBooking(id: string): Promise<ServiceBooking | undefined> {
      return db.selectFrom('service_bookings').selectAll().where('id', '=', id).executeTakeFirst()
    },
  }
}

export type BookingsRepository = ReturnType<typeof bookingsRepository>
