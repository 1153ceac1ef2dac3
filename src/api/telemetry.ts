import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { WebSocket } from 'ws'
import { z } from 'zod'
import { AppError } from '../errors.js'
import { direct, FAN_OUT_TYPES, type FanOutType } from '../ingest/messages.js'
import { HubConnection } from '../ingest/ws-hub.js'
import { errorResponses, VinSchema } from '../schemas/common.js'
import { caller } from './plugins/access.js'
import { requestActor } from './plugins/audit.js'

const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribe'),
    /** Narrows telemetry to these VINs (`[]` = all the user may see); absent: unchanged. */
    vins: z.array(VinSchema).max(1000).optional(),
    /** Only these message types (absent: unchanged; `[]` or never sent: every type). */
    topics: z
      .array(z.enum(FAN_OUT_TYPES as [FanOutType, ...FanOutType[]]))
      .max(20)
      .optional(),
  }),
  z.object({
    type: z.literal('chat'),
    data: z.object({ vin: VinSchema, content: z.string().trim().min(1).max(2000) }),
  }),
  z.object({ type: z.literal('ping') }),
])

export type ClientMessage = z.infer<typeof ClientMessageSchema>

const TOPIC_LIST = new RegExp(`^(${FAN_OUT_TYPES.join('|')})(,(${FAN_OUT_TYPES.join('|')}))*$`)

/** `?topics=alert,ueba` (checked against TOPIC_LIST by the route's schema). */
function topicList(raw: string | undefined): FanOutType[] {
  return raw ? (raw.split(',') as FanOutType[]) : []
}

/**
 * Close code of a socket whose session ended (the token expired, or the account was changed,
 * disabled or removed): the client should sign in again rather than reconnect with the same token.
 */
export const WS_SESSION_ENDED = 4401
/** How often an open socket's session is checked again when its client sends nothing. */
const SESSION_RECHECK_MS = 15_000
const MAX_TIMER_MS = 2 ** 31 - 1

const telemetryRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/ws/telemetry',
    {
      websocket: true,
      config: { access: 'authenticated', tokenInQuery: true },
      schema: {
        tags: ['telemetry'],
        summary: 'Live fleet stream over WebSocket: telemetry, alert, chat, booking and security messages',
        description:
          'Authenticate with `?token=` or `Authorization: Bearer`. Without a valid token the upgrade is refused ' +
          'with 401. Customers receive only their own vehicles; staff receive the fleet and may narrow ' +
          'the telemetry with `?vin=` or a `{type: "subscribe", vins: [...]}` message.',
        querystring: z.object({
          token: z.string().optional(),
          vin: VinSchema.optional(),
          topics: z
            .string()
            .max(200)
            .regex(TOPIC_LIST, `a comma list of ${FAN_OUT_TYPES.join(', ')}`)
            .optional()
            .describe('comma list of message types to receive from the first frame on (e.g. `alert,ueba`)'),
        }),
        response: errorResponses(400, 401, 404, 426),
      },
      // Runs before the upgrade, so a refusal is a plain HTTP answer and no socket is opened.
      preHandler: async (request) => {
        // A plain GET would get the plugin's empty 404; say what the route wants instead.
        if (!request.ws) throw new AppError('WEBSOCKET_UPGRADE_REQUIRED')
        const { vin } = request.query as { vin?: string }
        if (vin && !(await app.services.repos.vehicles.findVisibleByVin(caller(request), vin))) {
          throw new AppError('VEHICLE_NOT_FOUND')
        }
      },
    },
    async (socket: WebSocket, request) => {
      const user = caller(request)
      const { sessions } = app.services
      const end = (reason: string) => {
        if (socket.readyState === socket.OPEN) socket.close(WS_SESSION_ENDED, reason)
      }
      // Resolves true while the session is live; closes the socket once it is not. An outage
      // of the database is not a revocation: that message is refused and the socket stays.
      const live = () =>
        sessions.assertCurrent(user).then(
          () => {
            // A lock made by another process reaches this one through its analytics, not the row.
            if (app.services.analytics.userAccess(user.id) !== 'locked') return true
            end('account locked')
            return false
          },
          (err) => {
            const code = err instanceof AppError ? err.code : 'INTERNAL'
            if (code === 'AUTH_TOKEN_EXPIRED') end('token expired')
            else if (code === 'AUTH_TOKEN_REVOKED') end('session revoked')
            else if (handle) reject(code, err instanceof AppError ? err.message : 'Something went wrong')
            return false
          },
        )
      const expiry = setTimeout(
        () => end('token expired'),
        Math.min(MAX_TIMER_MS, user.expiresAt - Date.now()),
      )
      const unwatch = sessions.onRevoke(user.id, end)
      const recheck = setInterval(() => void live(), SESSION_RECHECK_MS)
      recheck.unref()
      socket.once('close', () => {
        clearTimeout(expiry)
        clearInterval(recheck)
        unwatch()
      })

      // Registered before any await so that no early client message is lost. Every message is
      // checked against the session first, in order: a revoked token sends nothing more.
      const early: string[] = []
      let handle: ((raw: string) => void) | undefined
      let inOrder = Promise.resolve()
      const take = (text: string) => {
        inOrder = inOrder.then(async () => {
          if (socket.readyState === socket.OPEN && (await live()) && handle) handle(text)
        })
      }
      socket.on('message', (raw) => {
        const text = raw.toString()
        if (handle) take(text)
        else early.push(text)
      })

      const owned =
        user.role === 'customer'
          ? new Set((await app.services.repos.vehicles.listVisible(user)).map((v) => v.vin))
          : new Set<string>()
      const connection = new HubConnection(socket, user, owned)
      const { vin, topics } = request.query as { vin?: string; topics?: string }
      if (vin) connection.vins.add(vin)
      const wanted = topicList(topics)
      if (wanted.length) connection.topics = new Set(wanted)
      const remove = app.services.hub.add(connection)
      socket.once('close', remove)
      socket.on('error', (err) => request.log.warn({ err }, 'websocket error'))

      const reject = (code: string, message: string) =>
        app.services.hub.sendTo(connection, direct.error(code, message))
      // A customer naming vehicles that are not theirs, over an open socket: on record like a REST probe.
      const refused = (action: 'ws_subscribe' | 'ws_chat', vins: string[]) =>
        app.services.agents.ueba.record(
          {
            actor: requestActor(request),
            action,
            resource: 'WS /ws/telemetry',
            decision: 'BLOCKED',
            reason: 'VEHICLE_NOT_FOUND',
            requestId: request.id,
            userId: user.id,
            details: { vins: vins.slice(0, 20) },
          },
          { urgent: false },
        )
      handle = (text) => {
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          request.log.info({ code: 'BAD_MESSAGE' }, 'websocket message is not JSON')
          return reject(
            'BAD_MESSAGE',
            'Messages must be JSON objects like {"type": "subscribe", "vins": [...]}',
          )
        }
        const parsed = ClientMessageSchema.safeParse(json)
        if (!parsed.success) {
          request.log.info({ code: 'BAD_MESSAGE' }, 'websocket message rejected')
          const fields = parsed.error.issues.map((i) => i.path.join('.') || 'type').join(', ')
          return reject('BAD_MESSAGE', `Invalid message: ${fields}`)
        }
        const message = parsed.data
        if (message.type === 'ping') return app.services.hub.sendTo(connection, direct.pong())
        if (message.type === 'subscribe') {
          const vins = message.vins
          const unknown = vins && user.role === 'customer' ? vins.filter((v) => !owned.has(v)) : []
          if (unknown.length > 0) {
            refused('ws_subscribe', unknown)
            return reject('VEHICLE_NOT_FOUND', `No such vehicle: ${unknown.join(', ')}`)
          }
          if (vins) connection.vins = new Set(vins)
          if (message.topics) connection.topics = message.topics.length ? new Set(message.topics) : null
          const topics = connection.topics ? [...connection.topics] : null
          return app.services.hub.sendTo(connection, direct.subscribed([...connection.vins], topics))
        }
        if (user.role !== 'customer' || !owned.has(message.data.vin)) {
          refused('ws_chat', [message.data.vin])
          return reject('VEHICLE_NOT_FOUND', 'You can chat only about your own vehicles')
        }
        // The reply reaches the asking socket through the bus, like the owner's other dashboards.
        app.services.conversation.fromSocket(user, message.data.vin, message.data.content).catch((err) => {
          request.log.error({ err }, 'chat over websocket failed')
          const e = err instanceof AppError ? err : new AppError('INTERNAL')
          reject(e.code, e.message)
        })
      }

      app.services.hub.sendTo(connection, direct.hello(user, user.role === 'customer' ? [...owned] : 'all'))
      for (const text of early.splice(0)) take(text)
    },
  )
}

export default telemetryRoutes
