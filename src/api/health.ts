import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  db: z.enum(['up', 'down']),
  db_kind: z.enum(['pglite', 'postgres']),
  version: z.string(),
  uptime_s: z.number(),
  components: z.record(z.string(), z.unknown()).describe('state of the ingestion pipeline and other parts'),
})

const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness and database health; 503 when the database does not answer',
        response: { 200: HealthSchema, 503: HealthSchema },
      },
    },
    async (_request, reply) => {
      const dbUp = await app.services.db.ping()
      const components: Record<string, unknown> = {}
      for (const [name, probe] of app.services.health) components[name] = probe()
      const body = {
        status: dbUp ? ('ok' as const) : ('degraded' as const),
        db: dbUp ? ('up' as const) : ('down' as const),
        db_kind: app.services.db.kind,
        version: app.services.version,
        uptime_s: Math.round(process.uptime()),
        components,
      }
      return reply.code(dbUp ? 200 : 503).send(body)
    },
  )
}

export default healthRoutes
