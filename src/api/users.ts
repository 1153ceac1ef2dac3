import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses } from '../schemas/common.js'
import { toUserResponse, UserCreateSchema, UserResponseSchema, UserUpdateSchema } from '../schemas/users.js'

const usersRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/users',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['onboarding'],
        summary: 'Create an account (email lower-cased, password hashed; the hash is never returned)',
        body: UserCreateSchema,
        response: { 201: UserResponseSchema, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body
      const user = await app.services.onboarding.createUser({
        email: b.email,
        password: b.password,
        role: b.role,
        name: b.name,
        serviceCenterId: b.service_center_id,
      })
      return reply.code(201).send(toUserResponse(user))
    },
  )

  app.patch(
    '/api/users/:id',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['onboarding'],
        summary: "Change an account's email, password, role, name or service centre, or disable it",
        description:
          'Changing the role or the password, or disabling the account, revokes every token issued to it ' +
          'at once (401 AUTH_TOKEN_REVOKED; its WebSockets close with 4401).',
        params: z.object({ id: z.uuid() }),
        body: UserUpdateSchema,
        response: { 200: UserResponseSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const b = request.body
      const user = await app.services.onboarding.updateUser(request.params.id, {
        email: b.email,
        password: b.password,
        role: b.role,
        name: b.name,
        serviceCenterId: b.service_center_id,
        disabled: b.disabled,
      })
      return toUserResponse(user)
    },
  )
}

export default usersRoutes
