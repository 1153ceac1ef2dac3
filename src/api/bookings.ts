import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../errors.js'
import { messages } from '../ingest/messages.js'
import { toBookingDto } from '../schemas/booking-dto.js'
import { allowedTransitions, canTransition } from '../schemas/booking-rules.js'
import {
  BookingListQuerySchema,
  BookingParamsSchema,
  BookingSchema,
  CreateBookingBodySchema,
  CreateBookingHeadersSchema,
  CreatedBookingSchema,
  parseStatusList,
  UpdateBookingBodySchema,
} from '../schemas/bookings.js'
import { errorResponses } from '../schemas/common.js'
import { requestFeedback } from './feedback.js'
import { caller } from './plugins/access.js'

const bookingsRoutes: FastifyPluginAsyncZod = async (app) => {
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
      else app.bus.publish(messages.booking(row))
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
      app.bus.publish(messages.booking(row))
      if (to === 'COMPLETED') await requestFeedback(app, row)
      return toBookingDto(row, user.role)
    },
  )
}

export default bookingsRoutes
