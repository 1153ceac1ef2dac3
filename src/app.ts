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
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import alarmsRoutes from './api/alarms.js'
import authRoutes from './api/auth.js'
import bookingsRoutes from './api/bookings.js'
import chatRoutes from './api/chat.js'
import devicesRoutes from './api/devices.js'
import failureRatesRoutes from './api/failure-rates.js'
import feedbackRoutes from './api/feedback.js'
import fleetRoutes from './api/fleet.js'
import healthRoutes from './api/health.js'
import insightsRoutes from './api/insights.js'
import metricsRoutes from './api/metrics.js'
import accessPlugin from './api/plugins/access.js'
import auditPlugin from './api/plugins/audit.js'
import errorHandlerPlugin, { frameworkErrors } from './api/plugins/error-handler.js'
import securityHeaders, { DOCS_CSP } from './api/plugins/security-headers.js'
import { guardedValidatorCompiler } from './api/plugins/validator.js'
import rulesRoutes from './api/rules.js'
import serviceCentersRoutes from './api/service-centers.js'
import telemetryRoutes from './api/telemetry.js'
import uebaRoutes from './api/ueba.js'
import uebaEntitiesRoutes from './api/ueba-entities.js'
import usersRoutes from './api/users.js'
import vehiclesRoutes from './api/vehicles.js'
import webRoutes, { WEB_ASSETS_PREFIX } from './api/web.js'
import { createServices, type ServiceOptions, type Services } from './composition-root.js'
import type { Config } from './config.js'
import type { DbHandle } from './db/client.js'
import type { EventBus } from './ingest/event-bus.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Everything the service is made of (see `composition-root.ts`); routes read it, never build it. */
    services: Services
  }
}

export interface BuildAppOptions {
  config: Config
  db: DbHandle
  /** Defaults to an in-process bus. */
  bus?: EventBus
  cluster?: ServiceOptions['cluster']
  hub?: ServiceOptions['hub']
  runs?: ServiceOptions['runs']
  /** Pino logger options or false; defaults to the configured level. */
  logger?: boolean | object
}

/** What a request log line shows: the device token of `/api/v1/{token}/telemetry` masked. */
function requestForLog(req: { method: string; url: string; ip?: string }) {
  return {
    method: req.method,
    url: req.url.replace(/^\/api\/v1\/[^/?]+\/telemetry/, '/api/v1/***/telemetry'),
    ip: req.ip,
  }
}

/** Builds the whole HTTP/WebSocket app over an open database. Never listens: see `server.ts`. */
export async function buildApp({
  config,
  db,
  bus,
  cluster,
  hub,
  runs,
  logger,
}: BuildAppOptions): Promise<FastifyInstance> {
  const { http } = config
  const app = Fastify({
    logger: logger ?? { level: config.logLevel, serializers: { req: requestForLog } },
    bodyLimit: http.bodyLimitBytes,
    frameworkErrors,
    // A slow-body (or slow-headers) client is answered 408 and cut once the whole request has
    // not arrived in time; Node checks every `connectionsCheckingInterval`, so that is kept short.
    requestTimeout: http.requestTimeoutMs,
    connectionTimeout: http.idleTimeoutMs,
    http: {
      headersTimeout: Math.min(http.requestTimeoutMs, 60_000),
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(http.requestTimeoutMs / 4))),
    },
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(guardedValidatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  const services = createServices({ config, db, log: app.log, bus, cluster, hub, runs })
  app.decorate('services', services)
  // Node keeps a connection alive after a response that was under way at close, and close()
  // waits for it until the idle timeout: an answer given while stopping ends its connection.
  app.addHook('onSend', async (_request, reply) => {
    if (!services.accepting) reply.header('connection', 'close')
  })

  await app.register(errorHandlerPlugin)
  await app.register(securityHeaders)
  await app.register(cors, {
    origin: config.corsOrigins,
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    exposedHeaders: ['retry-after', 'idempotent-replayed'],
  })
  await app.register(formbody)
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Autonoma API',
        description: 'Agentic predictive maintenance for EV fleets. Sign in at POST /api/auth/login.',
        version: services.version,
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          deviceToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'device token (dev_...)',
            description: 'A vehicle credential from POST /api/vehicles or /api/vehicles/{vin}/credentials',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP })
  await app.register(accessPlugin, {
    tokens: services.tokens,
    sessions: services.sessions,
    throttle: services.throttle,
    devices: services.devices,
    publicPrefixes: [WEB_ASSETS_PREFIX],
    standing: (userId) => services.analytics.userAccess(userId),
    stepUpDelayMs: config.ueba.stepUpDelayMs,
  })
  await app.register(auditPlugin, {
    // Nobody waits for these rows (the answer is sent): they join the next group commit.
    record: (event) => services.agents.ueba.record(event, { urgent: false }),
    vehicleByVin: (vin) => services.repos.vehicles.getByVin(vin),
  })

  await app.register(healthRoutes)
  await app.register(metricsRoutes)
  await app.register(authRoutes)
  await app.register(insightsRoutes)
  await app.register(failureRatesRoutes)
  await app.register(vehiclesRoutes)
  await app.register(usersRoutes)
  await app.register(fleetRoutes)
  await app.register(devicesRoutes)
  await app.register(telemetryRoutes)
  await app.register(chatRoutes)
  await app.register(uebaRoutes)
  await app.register(uebaEntitiesRoutes)
  await app.register(feedbackRoutes)
  await app.register(alarmsRoutes)
  await app.register(bookingsRoutes)
  await app.register(serviceCentersRoutes)
  await app.register(rulesRoutes)
  // The dashboards: web/dist, with index.html for the app's client-side routes.
  await app.register(webRoutes)
  app.addHook('onReady', () => services.start())
  // The metrics port opens with the HTTP one (a worker without the API starts it itself).
  app.addHook('onListen', async () => services.metricsEndpoint?.start())
  // Before the server stops accepting and in-flight requests finish: nothing is ingested meanwhile.
  app.addHook('preClose', async () => services.stopIntake())
  app.addHook('onClose', () => services.stop())
  return app
}
