import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { verifyPassword } from '../auth/passwords.js'
import { AppError } from '../errors.js'
import { LoginBodySchema, LoginResponseSchema, UserPublicSchema } from '../schemas/auth.js'
import { errorResponses } from '../schemas/common.js'
import { caller } from './plugins/access.js'

const authRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password; returns a bearer token',
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        body: LoginBodySchema,
        description:
          'Failed attempts are counted per account and per client address: past AUTH_MAX_FAILURES_PER_ACCOUNT ' +
          '(or _PER_ADDRESS) within AUTH_FAILURE_WINDOW, each further attempt is refused with 429 ' +
          'AUTH_THROTTLED and a Retry-After that doubles every time. A successful sign-in clears the account.',
        response: { 200: LoginResponseSchema, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const email = request.body.email || request.body.username || ''
      const attempt = { account: email, address: request.ip }
      const { throttle } = app.services
      // Refused before the password is checked, so a locked account answers nothing about it.
      const wait = throttle.retryAfter('login', attempt)
      if (wait !== undefined) {
        request.log.info({ event: 'login_throttled', retry_after_s: wait }, 'login throttled')
        throw new AppError('AUTH_THROTTLED', undefined, undefined, { retryAfterSeconds: wait })
      }
      const user = await app.services.repos.users.getUserByEmail(email)
      // Same work and same answer whether the email is unknown or the password is wrong.
      const ok = await verifyPassword(user?.password_hash, request.body.password)
      if (!user || !ok) {
        throttle.fail('login', attempt)
        request.log.info({ event: 'login_failed' }, 'login failed')
        throw new AppError('INVALID_CREDENTIALS')
      }
      throttle.succeed('login', email)
      if (user.disabled_at) throw new AppError('ACCOUNT_DISABLED')
      // Locked by security monitoring: a new token would be refused on its first use anyway.
      if (app.services.analytics.userAccess(user.id) === 'locked') throw new AppError('ACCOUNT_LOCKED')
      const { token, expiresIn } = await app.services.tokens.sign({
        id: user.id,
        email: user.email,
        role: user.role,
        tokenVersion: user.token_version,
      })
      return {
        access_token: token,
        token_type: 'bearer' as const,
        expires_in: expiresIn,
        user: { id: user.id, email: user.email, role: user.role, name: user.name },
      }
    },
  )

  app.get(
    '/api/auth/me',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user',
        response: { 200: UserPublicSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const user = await app.services.repos.users.getUserById(caller(request).id)
      if (!user) throw new AppError('AUTH_TOKEN_REVOKED')
      return { id: user.id, email: user.email, role: user.role, name: user.name }
    },
  )
}

export default authRoutes
