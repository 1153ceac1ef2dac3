import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { toFeedbackDto } from '../schemas/booking-dto.js'
import {
  BookingParamsSchema,
  FeedbackBodySchema,
  FeedbackSchema,
  GivenFeedbackSchema,
} from '../schemas/bookings.js'
import { errorResponses } from '../schemas/common.js'
import { caller } from './plugins/access.js'

const feedbackRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/bookings/:id/feedback',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['bookings'],
        summary: 'The rating given for a booking',
        description:
          'The owner’s rating of a service, so a reload shows it as given; `feedback` is null until it is ' +
          'rated. A booking the caller may not see answers 404, like a missing one.',
        params: BookingParamsSchema,
        response: { 200: GivenFeedbackSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await app.services.bookings.feedback.given(caller(request), request.params.id)
      return { feedback: row ? toFeedbackDto(row) : null }
    },
  )

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
      const row = await app.services.bookings.rate(caller(request), request.params.id, request.body)
      return reply.code(201).send(toFeedbackDto(row))
    },
  )
}

export default feedbackRoutes
