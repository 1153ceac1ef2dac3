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
        response: { 200: LoginResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const email = request.body.email || request.body.username || ''
      const user = await app.services.repos.users.getUserByEmail(email)
      // Same work and same answer whether the email is unknown or the password is wrong.
      const ok = await verifyPassword(user?.password_hash, request.body.password)
      if (!user || !ok) {
        request.log.info({ event: 'login_failed' }, 'login failed')
        throw new AppError('INVALID_CREDENTIALS')
      }
      const { token, expiresIn } = await app.services.tokens.sign({
        id: user.id,
        email: user.email,
        role: user.role,
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
        response: { 200: UserPublicSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const user = await app.services.repos.users.getUserById(caller(request).id)
      if (!user) throw new AppError('USER_NOT_FOUND', 'The account behind this token no longer exists')
      return { id: user.id, email: user.email, role: user.role, name: user.name }
    },
  )
}

export default authRoutes
