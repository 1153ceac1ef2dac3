import type { FastifyInstance } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { BookingView } from '../db/repositories/bookings.js'
import type { ChatMessage, Vehicle } from '../db/schema.js'
import { AppError } from '../errors.js'
import { slotLabel } from '../lib/zoned-time.js'
import { BookingParamsSchema } from '../schemas/bookings.js'
import { toChatDto } from '../schemas/chat.js'
import { errorResponses, iso } from '../schemas/common.js'
import { caller } from './plugins/access.js'

const FeedbackBodySchema = z.object({
  rating: z.number().int().min(1).max(5).describe('1 (poor) to 5 (excellent)'),
  comment: z.string().trim().max(2000).optional(),
})

export const FeedbackSchema = z
  .object({
    id: z.uuid(),
    booking_id: z.uuid(),
    rating: z.number().int(),
    comment: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Feedback' })

/**
 * A chat message to the vehicle's owner (all of their open dashboards); staff do not get it. Lives
 * here rather than in chat.ts so that bookings -> feedback imports no route module back.
 */
export function publishChat(
  app: FastifyInstance,
  row: ChatMessage,
  vehicle: Pick<Vehicle, 'vin' | 'owner_id'>,
) {
  app.bus.publish({
    type: 'chat',
    data: toChatDto(row, vehicle.vin),
    vin: vehicle.vin,
    ownerId: vehicle.owner_id,
    roles: [],
  })
}

/**
 * The feedback agent's question: once a service is COMPLETED, the owner is asked in the chat for a
 * 1-5 rating and a comment. The booking has already changed when this runs, so a failure here is
 * logged rather than turned into an error for the service desk's PATCH.
 */
export async function requestFeedback(app: FastifyInstance, booking: BookingView): Promise<void> {
  try {
    const center = await app.repos.serviceCenters.getCenter(booking.service_center_id)
    const when = slotLabel(booking.appointment_time, center?.timezone)
    const message = await app.repos.chat.addMessage({
      vehicleId: booking.vehicle_id,
      sender: 'agent',
      content:
        `Your ${booking.vehicle_model} has been serviced at ${booking.service_center_name} (${when}). ` +
        'How did it go? Please rate the service from 1 (poor) to 5 (excellent) and add a comment if you like.',
      intent: 'feedback_request',
      bookingId: booking.id,
      anomalyEventId: booking.anomaly_event_id,
    })
    publishChat(app, message, booking)
  } catch (err) {
    app.log.error({ err, bookingId: booking.id }, 'could not ask for feedback')
  }
}

const feedbackRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/bookings/:id/feedback',
    {
      config: { access: ['customer'] },
      schema: {
        tags: ['bookings'],
        summary: 'Rate a completed service of your vehicle (once)',
        description:
          'Only a COMPLETED booking can be rated (otherwise 409 FEEDBACK_NOT_ALLOWED), and only once ' +
          '(409 ALREADY_EXISTS). Another owner’s booking answers 404, like a missing one.',
        params: BookingParamsSchema,
        body: FeedbackBodySchema,
        response: { 201: FeedbackSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const user = caller(request)
      const booking = await app.repos.bookings.findVisible(user, request.params.id)
      if (!booking) throw new AppError('BOOKING_NOT_FOUND')
      if (booking.status !== 'COMPLETED') {
        throw new AppError(
          'FEEDBACK_NOT_ALLOWED',
          `The booking is ${booking.status}; rate it once it is COMPLETED`,
          {
            status: booking.status,
          },
        )
      }
      const { rating, comment } = request.body
      const row = await app.repos.feedback.addFeedback({
        bookingId: booking.id,
        userId: user.id,
        rating,
        comment: comment || null,
      })
      if (!row) throw new AppError('ALREADY_EXISTS', 'This service has already been rated')
      const thanks = await app.repos.chat.addMessage({
        vehicleId: booking.vehicle_id,
        sender: 'agent',
        content: `Thank you for rating the service ${rating}/5. Your feedback helps us improve.`,
        intent: 'feedback_thanks',
        bookingId: booking.id,
      })
      publishChat(app, thanks, booking)
      return reply.code(201).send({
        id: row.id,
        booking_id: row.booking_id,
        rating: row.rating,
        comment: row.comment,
        created_at: iso(row.created_at),
      })
    },
  )
}

export default feedbackRoutes
