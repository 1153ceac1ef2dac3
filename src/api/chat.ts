import fp from 'fastify-plugin'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ChatAgent, type ChatRequest } from '../agents/chat/chat-agent.js'
import { AppError } from '../errors.js'
import { toBookingDto } from '../schemas/booking-dto.js'
import { BookingSchema, CreateBookingHeadersSchema, SlotSchema } from '../schemas/bookings.js'
import { ChatMessageSchema, toChatDto } from '../schemas/chat.js'
import { errorResponses, VinSchema } from '../schemas/common.js'
import { caller } from './plugins/access.js'

const ChatBodySchema = z.object({
  vin: VinSchema,
  message: z.string().trim().min(1).max(2000),
})

const ChatResponseSchema = z
  .object({
    reply: ChatMessageSchema,
    offered_slots: z.array(SlotSchema).optional(),
    booking: BookingSchema.optional(),
  })
  .meta({ id: 'ChatResponse' })

/**
 * The conversation API. Wrapped with fastify-plugin so that `app.chatResponder` (declared on the
 * root by `buildApp`) is set on the root instance, where the WebSocket route reads it per message.
 */
const chatRoutes: FastifyPluginAsyncZod = async (app) => {
  const agent = new ChatAgent({
    repos: app.repos,
    scheduling: app.scheduling,
    bookings: app.bookings,
    engagement: app.agents.engagement,
  })

  /** One turn, whichever way it came in: stored, answered, and announced on the bus. */
  async function converse(req: ChatRequest) {
    const turn = await agent.reply(req)
    app.bookings.announce(
      { vin: req.vehicle.vin, ownerId: req.vehicle.owner_id },
      { messages: [turn.question, turn.reply], bookings: turn.changed },
    )
    return turn
  }

  const responder: typeof app.chatResponder = async (user, vin, content) => {
    if (user.role !== 'customer') throw new AppError('FORBIDDEN')
    const viewer = { id: user.id, role: 'customer' as const }
    const vehicle = await app.repos.vehicles.findVisibleByVin(viewer, vin)
    if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
    // The reply reaches the asking socket through the bus, like the owner's other dashboards.
    await converse({ user: viewer, vehicle, content })
  }
  app.chatResponder = responder

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
          'With an Idempotency-Key header a retried "yes" books once.',
        headers: CreateBookingHeadersSchema,
        body: ChatBodySchema,
        response: { 200: ChatResponseSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const user = caller(request)
      const vehicle = await app.repos.vehicles.findVisibleByVin(user, request.body.vin)
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      const turn = await converse({
        user,
        vehicle,
        content: request.body.message,
        idempotencyKey: request.headers['idempotency-key'] ?? null,
      })
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
      const vehicle = await app.repos.vehicles.findVisibleByVin(caller(request), request.params.vin)
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      const rows = await app.repos.chat.listForVehicle(vehicle.id, request.query.limit)
      return rows.map((row) => toChatDto(row, vehicle.vin))
    },
  )
}

export default fp(chatRoutes, { name: 'chat-routes', dependencies: ['agents'] })
