import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthThrottle } from '../../auth/failure-throttle.js'
import type { SessionValidator } from '../../auth/sessions.js'
import type { TokenClaims, TokenService } from '../../auth/tokens.js'
import type { Role } from '../../domain.js'
import { AppError } from '../../errors.js'
import { errorResponses } from '../../schemas/common.js'
import type { AuthDevice } from '../../services/device.service.js'

/**
 * Who may call a route: anyone, any signed-in user, the listed roles, or a vehicle's telemetry
 * unit (`device`: a device token, never a user's JWT; and a device token never opens a user
 * route). Every route must say which (`config: { access }`); a route without it stops the app
 * from starting.
 */
export type Access = 'public' | 'authenticated' | 'device' | readonly Role[]

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access
    /** Also accept `?token=` (browsers cannot set headers on a WebSocket upgrade). */
    tokenInQuery?: boolean
    /** Device routes: also accept the token as the `:token` path parameter (units that cannot set headers). */
    tokenInPath?: boolean
  }
  interface FastifyRequest {
    user: TokenClaims | null
    /** The vehicle a `device` route's token belongs to. */
    device: AuthDevice | null
  }
}

/** Routes registered by libraries, which cannot carry our config: their docs and static assets. */
const LIBRARY_PUBLIC_PREFIXES = ['/docs']

function describeAccess(access: Access): string {
  if (access === 'public') return 'Public.'
  if (access === 'authenticated') return 'Any signed-in user.'
  if (access === 'device') return 'Device token (a vehicle credential), not a user token.'
  return `Roles: ${access.join(', ')}.`
}

function extractToken(request: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization
  if (header) {
    const [scheme, value] = header.split(' ')
    if (scheme?.toLowerCase() === 'bearer' && value) return value.trim()
    return undefined
  }
  if (allowQuery) {
    const token = (request.query as Record<string, unknown> | undefined)?.token
    if (typeof token === 'string' && token) return token
  }
  return undefined
}

export interface AccessOptions {
  tokens: TokenService
  /** Revocation: the token's account must still exist, be enabled and have its role and version. */
  sessions: Pick<SessionValidator, 'assertCurrent'>
  /** Device-token failures share the sign-ins' budget (per client address). */
  throttle: Pick<AuthThrottle, 'retryAfter' | 'fail'>
  /** Resolves a device token to its (active) vehicle; undefined when it is not valid. */
  devices: { authenticate(token: string): Promise<AuthDevice | undefined> }
  publicPrefixes?: string[]
  /**
   * A signed-in user's standing in behaviour analytics (an in-memory lookup, so it runs on every
   * request): stepped up users wait `stepUpDelayMs` first, locked ones are refused until released.
   */
  standing?: (userId: string) => 'ok' | 'slow' | 'locked'
  stepUpDelayMs?: number
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function accessPlugin(app: FastifyInstance, opts: AccessOptions) {
  const publicPrefixes = [...LIBRARY_PUBLIC_PREFIXES, ...(opts.publicPrefixes ?? [])]
  app.decorateRequest('user', null)
  app.decorateRequest('device', null)

  app.addHook('onRoute', (route) => {
    route.config ??= {}
    if (!route.config.access) {
      if (publicPrefixes.some((p) => route.url.startsWith(p))) {
        route.config.access = 'public'
        return
      }
      throw new Error(
        `Route ${String(route.method)} ${route.url} does not declare who may call it (config.access)`,
      )
    }
    const access = route.config.access
    // @fastify/websocket hides its routes from OpenAPI; ours are part of the API and documented.
    if (route.websocket && route.schema?.tags) route.schema.hide = false
    if (route.schema && access !== 'public') {
      // Every guarded route can answer 401, and every user route 403 (a role it does not allow,
      // an account locked by UEBA): declared here once, so no route's contract misses them.
      if (route.schema.response)
        route.schema.response = {
          ...errorResponses(...(access === 'device' ? [401] : [401, 403])),
          ...(route.schema.response as object),
        }
      route.schema.security = [access === 'device' ? { deviceToken: [] } : { bearerAuth: [] }]
      route.schema.description = [route.schema.description, describeAccess(access)]
        .filter(Boolean)
        .join('\n\n')
    }
  })

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config
    const access = config?.access
    if (!access || access === 'public') return
    if (access === 'device') {
      const fromPath = config.tokenInPath ? (request.params as { token?: unknown }).token : undefined
      const token = typeof fromPath === 'string' && fromPath ? fromPath : extractToken(request, false)
      if (!token) throw new AppError('DEVICE_TOKEN_REQUIRED')
      const attempt = { address: request.ip }
      const wait = opts.throttle.retryAfter('device', attempt)
      if (wait !== undefined) {
        throw new AppError('AUTH_THROTTLED', undefined, undefined, { retryAfterSeconds: wait })
      }
      const device = await opts.devices.authenticate(token)
      if (!device) {
        opts.throttle.fail('device', attempt)
        throw new AppError('DEVICE_TOKEN_INVALID')
      }
      request.device = device
      return
    }
    const token = extractToken(request, config.tokenInQuery === true)
    if (!token) throw new AppError('AUTH_REQUIRED')
    const user = await opts.tokens.verify(token)
    await opts.sessions.assertCurrent(user)
    request.user = user
    const standing = opts.standing?.(user.id)
    if (standing === 'locked') throw new AppError('ACCOUNT_LOCKED')
    if (standing === 'slow' && opts.stepUpDelayMs) await sleep(opts.stepUpDelayMs)
    if (access !== 'authenticated' && !access.includes(user.role)) throw new AppError('FORBIDDEN')
  })
}

export default fp(accessPlugin, { name: 'access' })

/** The vehicle behind a `device` route's token. */
export function callingDevice(request: FastifyRequest): AuthDevice {
  if (!request.device) throw new AppError('DEVICE_TOKEN_REQUIRED')
  return request.device
}

/** The signed-in caller of a route whose access is not public. */
export function caller(request: FastifyRequest): TokenClaims {
  if (!request.user) throw new AppError('AUTH_REQUIRED')
  return request.user
}
