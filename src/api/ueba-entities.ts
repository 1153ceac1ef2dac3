import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../errors.js'
import { errorResponses } from '../schemas/common.js'
import { EntityIdSchema, EntityKindSchema, UebaEntitySchema } from '../schemas/ueba-entities.js'
import { caller } from './plugins/access.js'

const uebaEntitiesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/ueba/entities',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['ueba'],
        summary: 'Behaviour analytics: every agent, user and device by risk, with reasons and state',
        description:
          'Each entity has rolling baselines of its actions (per hour of day, after a warm-up), first-seen ' +
          'actions and resources, a comparison with its role’s peers, and sequence rules. Each anomaly adds ' +
          'to its risk score (0-100, decaying with a half-life), in bands Unknown/Low/Moderate/High/Critical ' +
          'with an investigation priority 0-10. `state` is the response in force: an agent `quarantined`, ' +
          'a user `stepped_up` (slowed) or `locked`, a device `throttled`.',
        querystring: z.object({
          kind: EntityKindSchema.optional(),
          min_score: z.coerce.number().min(0).max(100).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: {
          200: z.object({ items: z.array(UebaEntitySchema) }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { kind, min_score, limit } = request.query
      return { items: app.services.analytics.list({ kind, minScore: min_score }).slice(0, limit) }
    },
  )

  app.post(
    '/api/ueba/entities/:id/release',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['ueba'],
        summary: 'Release a quarantined agent, unlock a user, lift a device’s throttle',
        description:
          'Ends the response in force and starts the score again from 0 (the reasons stay, with the release ' +
          'among them). Recorded in the audit log as an admin action.',
        params: z.object({ id: EntityIdSchema }),
        response: { 200: UebaEntitySchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const staff = caller(request)
      const entity = app.services.analytics.release(request.params.id, `user:${staff.id}`)
      if (!entity) throw new AppError('ENTITY_NOT_FOUND')
      // Written at once: a release must survive a restart that comes before the next periodic write.
      await app.services.analyticsStore.persist()
      return entity
    },
  )
}

export default uebaEntitiesRoutes
