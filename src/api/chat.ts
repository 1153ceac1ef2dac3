import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../errors.js'
import { toBookingDto } from '../schemas/booking-dto.js'
import { CreateBookingHeadersSchema } from '../schemas/bookings.js'
import { ChatMessageSchema, ChatResponseSchema, toChatDto } from '../schemas/chat.js'
import { errorResponses, VinSchema } from '../schemas/common.js'
import { caller } from './plugins/access.js'

const ChatBodySchema = z.object({
  vin: VinSchema,
  message: z.string().trim().min(1).max(2000),
})

/** The conversation API; chat over the WebSocket goes through the same `Conversation`. */
const chatRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/chat',
    {
      config: { access: ['customer'] },
      schema: {
        tags: ['chat'],
        summary: 'Ask the maintenance agent about one of your vehicles',
        description:
          'The customer-engagement agent answers from the vehicle’s current state: "what should I do?" explains ' +
          'the open diagnosis and offers the earliest slots; "yes" or a slot ("10:00", "slot 2", an ISO time) ' +
          'books it through the booking service; "no" declines; status and booking questions are answered ' +
          'from the database. Both turns are stored and pushed to the owner’s WebSocket as `chat` messages. ' +
          'With an Idempotency-Key header a retried turn is stored and answered once: the retry gets the ' +
          'first reply (and its booking as it is now) with `idempotent-replayed: true`; the key again with ' +
          'another message is 422 `IDEMPOTENCY_KEY_REUSED`.',
        headers: CreateBookingHeadersSchema,
        body: ChatBodySchema,
        response: { 200: ChatResponseSchema, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const user = caller(request)
      const vehicle = await app.services.repos.vehicles.findVisibleByVin(user, request.body.vin)
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      const turn = await app.services.conversation.converse({
        user,
        vehicle,
        content: request.body.message,
        idempotencyKey: request.headers['idempotency-key'] ?? null,
      })
      if (turn.replayed) reply.header('idempotent-replayed', 'true')
      return {
        reply: toChatDto(turn.reply, vehicle.vin),
        ...(turn.offered_slots ? { offered_slots: turn.offered_slots } : {}),
        ...(turn.booking ? { booking: toBookingDto(turn.booking, user.role) } : {}),
      }
    },
  )

  app.get(
    '/api/chat/:vin',
    {
      // The service desk reads conversations to prepare a visit; the manufacturer works from
      // aggregates and has no need for owners' personal messages.
      config: { access: ['customer', 'service'] },
      schema: {
        tags: ['chat'],
        summary: 'The conversation about a vehicle, oldest first',
        description: 'A customer reads their own vehicles’ conversations; the service desk may read any.',
        params: z.object({ vin: VinSchema }),
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(200) }),
        response: { 200: z.array(ChatMessageSchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const vehicle = await app.services.repos.vehicles.findVisibleByVin(caller(request), request.params.vin)
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      const rows = await app.services.repos.chat.listForVehicle(vehicle.id, request.query.limit)
      return rows.map((row) => toChatDto(row, vehicle.vin))
    },
  )
}

export default chatRoutes
