import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuditActor, AuditEvent } from '../../agents/ueba/gate.js'
import type { Vehicle } from '../../db/schema.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The error the request ended with (set by `onError`), for the audit row's reason. */
    auditError: unknown
  }
}

export interface AuditPluginOptions {
  record(event: AuditEvent): unknown
  /** Any vehicle by VIN, whoever owns it: tells a cross-owner probe from a typo. */
  vehicleByVin(vin: string): Promise<Pick<Vehicle, 'id' | 'owner_id'> | undefined>
}

const REFUSALS = new Set([401, 403, 429])
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const LOGIN = '/api/auth/login'

/** The caller as far as the request got: a user, a device, or an address. */
export function requestActor(request: FastifyRequest): AuditActor {
  if (request.user) return { kind: 'user', id: request.user.id, label: request.user.role }
  if (request.device) return { kind: 'device', id: request.device.vin, label: 'device' }
  return { kind: 'anonymous', id: request.ip, label: 'anonymous' }
}

function reasonOf(error: unknown, status: number): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : `HTTP_${status}`
}

function claimedVin(request: FastifyRequest): string | undefined {
  const fromParams = (request.params as { vin?: unknown } | undefined)?.vin
  const fromBody = (request.body as { vin?: unknown } | undefined)?.vin
  const fromQuery = (request.query as { vin?: unknown } | undefined)?.vin
  const vin = fromParams ?? fromBody ?? fromQuery
  return typeof vin === 'string' && vin.length <= 32 ? vin : undefined
}

function actionOf(request: FastifyRequest, route: string): string {
  if (route === LOGIN) return 'login'
  if (request.routeOptions.config?.access === 'device') return 'device_auth'
  if (route.startsWith('/ws/')) return 'ws_connect'
  return 'api_request'
}

/**
 * Records, once each, what the API refuses or changes: every 401, 403 and 429 (failed and
 * throttled logins, bad tokens, device-token failures, refused WebSocket upgrades, roles
 * overstepped), a customer's 404 for a VIN that exists but is someone else's (a cross-owner
 * probe), sign-ins, and every change a manufacturer-only route makes (users, vehicles,
 * credentials, releases). It runs after the answer is sent: the client never waits for the log.
 * Routes are named by their pattern, never the raw URL (path device tokens stay out of the log).
 */
async function auditPlugin(app: FastifyInstance, opts: AuditPluginOptions) {
  app.decorateRequest('auditError', null)
  app.addHook('onError', async (request, _reply, error) => {
    request.auditError = error
  })
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const status = reply.statusCode
    const route = request.routeOptions.url
    if (!route) return
    const access = request.routeOptions.config?.access
    const base = {
      actor: requestActor(request),
      resource: `${request.method} ${route}`,
      requestId: request.id,
      userId: request.user?.id ?? null,
      vehicleId: request.device?.vehicleId ?? null,
    }
    const address = { address: request.ip }
    if (REFUSALS.has(status)) {
      const email =
        route === LOGIN ? (request.body as { email?: unknown; username?: unknown } | undefined) : undefined
      const claimed = email?.email ?? email?.username
      opts.record({
        ...base,
        action: actionOf(request, route),
        decision: 'BLOCKED',
        reason: reasonOf(request.auditError, status),
        details: { ...address, status, ...(typeof claimed === 'string' ? { email: claimed } : {}) },
      })
      return
    }
    if (status === 404 && request.user?.role === 'customer') {
      const vin = claimedVin(request)
      const vehicle = vin ? await opts.vehicleByVin(vin).catch(() => undefined) : undefined
      if (vehicle && vehicle.owner_id !== request.user.id) {
        opts.record({
          ...base,
          vin,
          action: 'api_request',
          decision: 'BLOCKED',
          reason: 'CROSS_OWNER_PROBE',
          details: { ...address, status, code: reasonOf(request.auditError, status) },
        })
      }
      return
    }
    if (status >= 300) return
    if (route === LOGIN) {
      const body = request.body as { email?: unknown; username?: unknown } | undefined
      const user = body?.email || body?.username
      opts.record({
        ...base,
        action: 'login',
        decision: 'ALLOWED',
        details: { ...address, email: user ?? null },
      })
    } else if (
      MUTATING.has(request.method) &&
      Array.isArray(access) &&
      access.every((r) => r === 'manufacturer')
    ) {
      opts.record({
        ...base,
        action: 'admin_action',
        decision: 'ALLOWED',
        details: { ...address, status, params: request.params ?? {} },
      })
    }
  })
}

export default fp(auditPlugin, { name: 'audit', dependencies: ['access'] })
