import { readFileSync } from 'node:fs'
import cors from '@fastify/cors'
import formbody from '@fastify/formbody'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyInstance } from 'fastify'
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import agentsPlugin from './agents/plugin.js'
import alarmsRoutes from './api/alarms.js'
import authRoutes from './api/auth.js'
import bookingsRoutes from './api/bookings.js'
import chatRoutes from './api/chat.js'
import feedbackRoutes from './api/feedback.js'
import healthRoutes from './api/health.js'
import insightsRoutes from './api/insights.js'
import accessPlugin from './api/plugins/access.js'
import errorHandlerPlugin from './api/plugins/error-handler.js'
import serviceCentersRoutes from './api/service-centers.js'
import telemetryRoutes from './api/telemetry.js'
import uebaRoutes from './api/ueba.js'
import vehiclesRoutes from './api/vehicles.js'
import webRoutes, { WEB_ASSETS_PREFIX } from './api/web.js'
import { createTokenService, type TokenService } from './auth/tokens.js'
import type { Config } from './config.js'
import type { DbHandle } from './db/client.js'
import { createRepositories, type Repositories } from './db/repositories/index.js'
import { type EventBus, InProcessEventBus } from './ingest/event-bus.js'
import ingestPlugin, { type IngestPluginOptions } from './ingest/plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    dbHandle: DbHandle
    repos: Repositories
    tokens: TokenService
    appVersion: string
    /** Named snapshots shown by `/api/health` (stream counts, write failures, ...). */
    healthProbes: Map<string, () => unknown>
    /** Real-time messages to WebSocket clients (telemetry, alerts, chat, bookings, security). */
    bus: EventBus
  }
}

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version

export interface BuildAppOptions {
  config: Config
  db: DbHandle
  /** Defaults to an in-process bus. */
  bus?: EventBus
  ingest?: IngestPluginOptions
  /** Pino logger options or false; defaults to the configured level. */
  logger?: boolean | object
}

/** Builds the whole HTTP/WebSocket app over an open database. Never listens: see `server.ts`. */
export async function buildApp({
  config,
  db,
  bus,
  ingest,
  logger,
}: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    bodyLimit: 256 * 1024,
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  app.decorate('config', config)
  app.decorate('dbHandle', db)
  app.decorate('repos', createRepositories(db.db))
  app.decorate('tokens', createTokenService(config.jwt))
  app.decorate('appVersion', VERSION)
  app.decorate('healthProbes', new Map<string, () => unknown>())
  app.decorate(
    'bus',
    bus ?? new InProcessEventBus((err) => app.log.error({ err }, 'event subscriber failed')),
  )

  await app.register(errorHandlerPlugin)
  await app.register(cors, { origin: config.corsOrigins, credentials: false })
  await app.register(formbody)
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Autonoma API',
        description: 'Agentic predictive maintenance for EV fleets. Sign in at POST /api/auth/login.',
        version: VERSION,
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(accessPlugin, {
    tokens: app.tokens,
    publicPrefixes: [WEB_ASSETS_PREFIX],
    // A user reaching for what their role may not do is a UEBA event, like an agent's.
    onForbidden: async (user, request) => {
      const target = `${request.method} ${request.routeOptions.url ?? request.url}`
      await app.agents.ueba
        .logAttempt(user.role, target, 'BLOCKED', { userId: user.id }, 'api_request')
        .catch((err) => app.log.error({ err }, 'could not record a refused request in the UEBA log'))
    },
  })

  await app.register(ingestPlugin, ingest ?? {})
  await app.register(agentsPlugin)

  await app.register(healthRoutes)
  await app.register(authRoutes)
  await app.register(insightsRoutes)
  await app.register(vehiclesRoutes)
  await app.register(telemetryRoutes)
  await app.register(chatRoutes)
  await app.register(uebaRoutes)
  await app.register(feedbackRoutes)
  await app.register(alarmsRoutes)
  await app.register(bookingsRoutes)
  await app.register(serviceCentersRoutes)
  // The dashboards: web/dist, with index.html for the app's client-side routes.
  await app.register(webRoutes)
  // Last: the replay starts once every observer of readings (the agents) is ready.
  app.addHook('onReady', async () => app.startStream())
  return app
}
