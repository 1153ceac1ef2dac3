import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { toBookingDto } from '../schemas/booking-dto.js'
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
      const rows = await app.services.repos.bookings.listVisible(user, {
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
      const { booking, replayed } = await app.services.bookings.create(user, {
        vehicleId: vehicle_id,
        vin,
        slotTime: slot_time,
        serviceCenterId: service_center_id,
        notes,
        idempotencyKey: request.headers['idempotency-key'] ?? null,
      })
      if (replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(201).send({ booking_id: booking.id, ...toBookingDto(booking, user.role) })
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
          'cancel their own bookings; the service desk may also complete them, with `notes` on what was done, ' +
          'which resolves the anomaly the booking was made for.',
        params: BookingParamsSchema,
        body: UpdateBookingBodySchema,
        response: { 200: BookingSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = caller(request)
      const { status, notes } = request.body
      const row = await app.services.bookings.transition(user, request.params.id, status, notes)
      return toBookingDto(row, user.role)
    },
  )
}

export default bookingsRoutes
