import fp from 'fastify-plugin'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SchedulingAgent } from '../agents/scheduling-agent.js'
import type { BookingView } from '../db/repositories/bookings.js'
import type { Role } from '../db/schema.js'
import { AppError } from '../errors.js'
import type { FleetMessage } from '../ingest/event-bus.js'
import {
  type BookingDto,
  BookingListQuerySchema,
  BookingParamsSchema,
  BookingSchema,
  CreateBookingBodySchema,
  CreateBookingHeadersSchema,
  CreatedBookingSchema,
  parseStatusList,
  UpdateBookingBodySchema,
} from '../schemas/bookings.js'
import { errorResponses, iso } from '../schemas/common.js'
import { allowedTransitions, canTransition } from './booking-rules.js'
import { requestFeedback } from './feedback.js'
import { caller } from './plugins/access.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one scheduling agent: the bookings API and the chat book through the same instance. */
    scheduling: SchedulingAgent
  }
}

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
    appointment_time: iso(row.appointment_time),
    bay: row.bay,
    status: row.status,
    customer_notes: row.customer_notes,
    source: row.source,
    anomaly_event_id: row.anomaly_event_id,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    allowed_transitions: role ? allowedTransitions(role, row.status) : [],
  }
}

/** The real-time notice of a new or changed booking: to its owner and to the service desk. */
export function bookingMessage(row: BookingView): FleetMessage<'booking', BookingDto> {
  return {
    type: 'booking',
    data: toBookingDto(row, null),
    vin: row.vin,
    ownerId: row.owner_id,
    roles: ['service'],
  }
}

const bookingsRoutes: FastifyPluginAsyncZod = async (app) => {
  if (!app.hasDecorator('scheduling')) app.decorate('scheduling', new SchedulingAgent(app.dbHandle.db))

  app.get(
    '/api/bookings',
    {
      config: { access: ['service', 'customer'] },
      schema: {
        tags: ['bookings'],
        summary: 'Service bookings, soonest first (a customer sees only their own vehicles’)',
        querystring: BookingListQuerySchema,
        response: { 200: z.array(BookingSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const user = caller(request)
      const { status, vehicle_id, service_center_id, ...range } = request.query
      const rows = await app.repos.bookings.listVisible(user, {
        ...range,
        statuses: parseStatusList(status),
        vehicleId: vehicle_id,
        serviceCenterId: service_center_id,
      })
      return rows.map((row) => toBookingDto(row, user.role))
    },
  )

  app.post(
    '/api/bookings',
    {
      config: { access: ['customer'] },
      schema: {
        tags: ['bookings'],
        summary: 'Book a service slot for one of your vehicles',
        description:
          'Takes the lowest free bay at that start time (at the given centre, or the first centre with room). ' +
          'With an Idempotency-Key header a repeated request returns the first booking, with the header ' +
          '`idempotent-replayed: true`, instead of booking twice.',
        headers: CreateBookingHeadersSchema,
        body: CreateBookingBodySchema,
        response: { 201: CreatedBookingSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const user = caller(request)
      const { vehicle_id, vin, slot_time, service_center_id, notes } = request.body
      const vehicle = vehicle_id
        ? await app.repos.vehicles.findVisibleById(user, vehicle_id)
        : await app.repos.vehicles.findVisibleByVin(user, vin ?? '')
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      const { booking, replayed } = await app.scheduling.bookAppointment(slot_time, vehicle.id, {
        serviceCenterId: service_center_id,
        notes: notes || null,
        source: 'customer',
        createdBy: user.id,
        idempotencyKey: request.headers['idempotency-key'] ?? null,
      })
      const row = await app.repos.bookings.findVisible(user, booking.id)
      if (!row) throw new AppError('BOOKING_NOT_FOUND')
      if (replayed) reply.header('idempotent-replayed', 'true')
      else app.bus.publish(bookingMessage(row))
      return reply.code(201).send({ booking_id: row.id, ...toBookingDto(row, user.role) })
    },
  )

  app.patch(
    '/api/bookings/:id',
    {
      config: { access: ['customer', 'service'] },
      schema: {
        tags: ['bookings'],
        summary: 'Move a booking to a new status (confirm, complete, cancel)',
        description:
          'PENDING -> CONFIRMED -> COMPLETED; PENDING or CONFIRMED -> CANCELLED. A customer may confirm or ' +
          'cancel their own bookings; the service desk may also complete them, which resolves the anomaly ' +
          'the booking was made for.',
        params: BookingParamsSchema,
        body: UpdateBookingBodySchema,
        response: { 200: BookingSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = caller(request)
      const { id } = request.params
      const to = request.body.status
      const current = await app.repos.bookings.findVisible(user, id)
      if (!current) throw new AppError('BOOKING_NOT_FOUND')
      const from = current.status
      if (!canTransition(user.role, from, to)) {
        const allowed = allowedTransitions(user.role, from)
        throw new AppError('INVALID_TRANSITION', `A ${user.role} cannot move a ${from} booking to ${to}`, {
          from,
          to,
          allowed,
        })
      }
      const changed = await app.repos.bookings.transitionBooking(id, from, to)
      const row = await app.repos.bookings.findVisible(user, id)
      if (!row) throw new AppError('BOOKING_NOT_FOUND')
      if (!changed) {
        throw new AppError(
          'INVALID_TRANSITION',
          `The booking changed to ${row.status} meanwhile; reload it`,
          {
            from: row.status,
            to,
            allowed: allowedTransitions(user.role, row.status),
          },
        )
      }
      app.bus.publish(bookingMessage(row))
      if (to === 'COMPLETED') await requestFeedback(app, row)
      return toBookingDto(row, user.role)
    },
  )
}

// Wrapped so that `app.scheduling` is decorated on the root instance, visible to every plugin.
export default fp(bookingsRoutes, { name: 'bookings-routes' })
