import { sql } from 'kysely'
import type { BookingStatus } from '../../domain.js'
import { AppError } from '../../errors.js'
import type { Db } from '../client.js'
import type { AnomalyEvent, ServiceBooking } from '../schema.js'
import { recordDecline } from './booking-decline.js'
import type {
  BookingDetails,
  BookingFilter,
  BookingView,
  CompletionNotes,
  TakenSlot,
} from './booking-rows.js'
import type { Viewer } from './vehicles.js'

export type {
  BookingDetails,
  BookingFilter,
  BookingView,
  CompletionNotes,
  TakenSlot,
} from './booking-rows.js'

function insertBooking(
  db: Db,
  vehicleId: string,
  slotTime: Date | string,
  status: BookingStatus,
  details: BookingDetails,
  centerId: string,
): Promise<ServiceBooking> {
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
}

export function bookingsRepository(db: Db) {
  // Ownership is applied inside the query, so a customer never reads another owner's row.
  const visibleTo = (viewer: Viewer | undefined) => {
    const q = db
      .selectFrom('service_bookings as b')
      .innerJoin('vehicles as v', 'v.id', 'b.vehicle_id')
      .innerJoin('service_centers as c', 'c.id', 'b.service_center_id')
      .innerJoin('users as o', 'o.id', 'v.owner_id')
      .leftJoin('anomaly_events as a', 'a.id', 'b.anomaly_event_id')
      .selectAll('b')
      .select([
        'v.vin',
        'v.model as vehicle_model',
        'v.owner_id',
        'c.name as service_center_name',
        'c.timezone as service_center_timezone',
        'o.name as owner_name',
        'o.email as owner_email',
        'a.severity as anomaly_severity',
      ])
    return viewer?.role === 'customer' ? q.where('v.owner_id', '=', viewer.id) : q
  }

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
      const { maxOpen } = details
      if (!maxOpen) return insertBooking(db, vehicleId, slotTime, status, details, centerId)
      return db.transaction().execute(async (trx) => {
        await trx.selectFrom('vehicles').select('id').where('id', '=', vehicleId).forUpdate().execute()
        const open = await trx
          .selectFrom('service_bookings')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('vehicle_id', '=', vehicleId)
          .where('status', 'in', ['PENDING', 'CONFIRMED'])
          .where('appointment_time', '>', maxOpen.after)
          .executeTakeFirstOrThrow()
        if (Number(open.n) >= maxOpen.limit) {
          throw new AppError(
            'TOO_MANY_OPEN_BOOKINGS',
            `That vehicle already has ${maxOpen.limit} open bookings; complete or cancel one first`,
          )
        }
        return insertBooking(trx, vehicleId, slotTime, status, details, centerId)
      })
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

    /** Bookings the viewer may see (a customer: their own vehicles'), soonest first. */
    listVisible(viewer: Viewer | undefined, filter: BookingFilter = {}): Promise<BookingView[]> {
      let q = visibleTo(viewer)
      if (filter.statuses && filter.statuses.length > 0) q = q.where('b.status', 'in', filter.statuses)
      if (filter.vehicleId) q = q.where('b.vehicle_id', '=', filter.vehicleId)
      if (filter.anomalyEventIds) {
        if (filter.anomalyEventIds.length === 0) return Promise.resolve([])
        q = q.where('b.anomaly_event_id', 'in', filter.anomalyEventIds)
      }
      if (filter.serviceCenterId) q = q.where('b.service_center_id', '=', filter.serviceCenterId)
      if (filter.from) q = q.where('b.appointment_time', '>=', new Date(filter.from))
      if (filter.to) q = q.where('b.appointment_time', '<', new Date(filter.to))
      return q
        .orderBy('b.appointment_time')
        .orderBy('b.id')
        .limit(filter.limit ?? 100)
        .execute()
    },

    findVisible(viewer: Viewer | undefined, id: string): Promise<BookingView | undefined> {
      return visibleTo(viewer).where('b.id', '=', id).executeTakeFirst()
    },

    /** The vehicle's next live (PENDING or CONFIRMED) booking after `after`, with its centre, if any. */
    findUpcomingForVehicle(
      vehicleId: string,
      after: Date,
    ): Promise<(ServiceBooking & { center_name: string; center_timezone: string }) | undefined> {
      return db
        .selectFrom('service_bookings as b')
        .innerJoin('service_centers as c', 'c.id', 'b.service_center_id')
        .selectAll('b')
        .select(['c.name as center_name', 'c.timezone as center_timezone'])
        .where('b.vehicle_id', '=', vehicleId)
        .where('b.status', 'in', ['PENDING', 'CONFIRMED'])
        .where('b.appointment_time', '>', after)
        .orderBy('b.appointment_time')
        .limit(1)
        .executeTakeFirst()
    },

    /**
     * An episode that recovered on its own needs no service: the agent's proposals for it that the
     * owner never answered are cancelled, so their bays go back to the pool. Confirmed bookings stay.
     */
    async cancelProposalsFor(anomalyEventId: string): Promise<string[]> {
      const rows = await db
        .updateTable('service_bookings')
        .set({ status: 'CANCELLED', updated_at: sql<Date>`now()` })
        .where('anomaly_event_id', '=', anomalyEventId)
        .where('status', '=', 'PENDING')
        .where('source', '=', 'agent')
        .returning('id')
        .execute()
      return rows.map((r) => r.id)
    },

    findByIdempotencyKey(createdBy: string, key: string): Promise<ServiceBooking | undefined> {
      return db
        .selectFrom('service_bookings')
        .selectAll()
        .where('created_by', '=', createdBy)
        .where('idempotency_key', '=', key)
        .executeTakeFirst()
    },

    /** Bay numbers held by live bookings of a centre at one start time, lowest first. */
    async takenBays(serviceCenterId: string, appointmentTime: Date): Promise<number[]> {
      const rows = await db
        .selectFrom('service_bookings')
        .select('bay')
        .where('service_center_id', '=', serviceCenterId)
        .where('appointment_time', '=', appointmentTime)
        .where('status', '<>', 'CANCELLED')
        .orderBy('bay')
        .execute()
      return rows.map((r) => r.bay)
    },

    /** Live bookings per centre and start time in [from, to): one query for a whole window. */
    async takenSlots(from: Date, to: Date, serviceCenterId?: string): Promise<TakenSlot[]> {
      let q = db
        .selectFrom('service_bookings as b')
        .innerJoin('service_centers as c', 'c.id', 'b.service_center_id')
        .select(['b.service_center_id', 'b.appointment_time'])
        .select((eb) => eb.fn.countAll<string | number>().as('taken'))
        .where('b.status', '<>', 'CANCELLED')
        // A bay above the centre's current count (it shrank) no longer hides a free one.
        .whereRef('b.bay', '<=', 'c.bays')
        .where('b.appointment_time', '>=', from)
        .where('b.appointment_time', '<', to)
      if (serviceCenterId) q = q.where('b.service_center_id', '=', serviceCenterId)
      const rows = await q.groupBy(['b.service_center_id', 'b.appointment_time']).execute()
      return rows.map((r) => ({
        ...r,
        appointment_time: new Date(r.appointment_time),
        taken: Number(r.taken),
      }))
    },

    /**
     * Moves a booking from `from` to `to` only if it is still in `from` (optimistic: undefined
     * when someone else changed it first). Completing a booking keeps the workshop's notes and
     * resolves the anomaly event it was made for, in the same transaction (`resolved`: that
     * event, when this completion closed it).
     */
    transitionBooking(
      id: string,
      from: BookingStatus,
      to: BookingStatus,
      completion: CompletionNotes = {},
    ): Promise<(ServiceBooking & { resolved?: AnomalyEvent }) | undefined> {
      return db.transaction().execute(async (trx) => {
        const completing = to === 'COMPLETED'
        const booking = await trx
          .updateTable('service_bookings')
          .set({
            status: to,
            updated_at: sql<Date>`now()`,
            ...(completing
              ? {
                  completed_at: sql<Date>`now()`,
                  completed_by: completion.userId ?? null,
                  service_notes: completion.notes ?? null,
                }
              : {}),
          })
          .where('id', '=', id)
          .where('status', '=', from)
          .returningAll()
          .executeTakeFirst()
        if (booking?.anomaly_event_id && to === 'CANCELLED' && completion.declined)
          await recordDecline(trx, booking, completion.userId ?? null)
        if (!booking || !completing || !booking.anomaly_event_id) return booking
        const resolved = await trx
          .updateTable('anomaly_events')
          .set({ status: 'RESOLVED', resolved_at: sql<Date>`now()`, resolution: 'serviced' })
          .where('id', '=', booking.anomaly_event_id)
          .where('status', '<>', 'RESOLVED')
          .returningAll()
          .executeTakeFirst()
        return resolved ? { ...booking, resolved } : booking
      })
    },
  }
}

export type BookingsRepository = ReturnType<typeof bookingsRepository>
