import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses } from '../schemas/common.js'

/** What anyone may see: up or down, nothing about what is inside. */
export const PublicHealthSchema = z.object({ status: z.enum(['up', 'down']) })

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  /** Why it is degraded; empty when ok. */
  reasons: z.array(z.string()),
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
        summary:
          'Up or down, for load balancers and uptime checks: 503 `down` while the database does not ' +
          'answer or the service is stopping. The reasons and components are in /api/health/details (staff).',
        response: { 200: PublicHealthSchema, 503: PublicHealthSchema },
      },
    },
    // Database errors, names and paths help an attacker more than a load balancer.
    async (_request, reply) => {
      const up = (await app.services.db.ping()) && app.services.accepting
      return reply.code(up ? 200 : 503).send({ status: up ? ('up' as const) : ('down' as const) })
    },
  )

  app.get(
    '/api/health/details',
    {
      config: { access: ['service', 'manufacturer'] },
      schema: {
        tags: ['system'],
        summary:
          'Health for staff: degraded (with reasons) while the database does not answer, telemetry ' +
          'writes fail, the replay file cannot be read or the service is stopping, and the state of every component; 503 when the ' +
          'database is down or the service is stopping',
        response: { 200: HealthSchema, 503: HealthSchema, ...errorResponses(401, 403) },
      },
    },
    async (_request, reply) => {
      const { services } = app
      const dbUp = await services.db.ping()
      const components: Record<string, unknown> = {}
      for (const [name, probe] of services.health) components[name] = probe()
      const reasons: string[] = []
      if (!dbUp) reasons.push('database: not answering')
      const writer = services.writer.stats
      if (writer.failing)
        reasons.push(
          `telemetry_writer: writes failing, ${writer.pending} readings waiting (${writer.lastError})`,
        )
      const streamProblem = services.stream?.problem
      if (streamProblem) reasons.push(`stream: cannot replay DATASET_PATH (${streamProblem})`)
      if (!services.accepting) reasons.push('stopping: intake closed')
      const audit = services.agents.ueba.auditStats
      if (audit.spooled > 0) reasons.push(`ueba_audit: ${audit.spooled} rows waiting for the database`)
      if (audit.lost > 0) reasons.push(`ueba_audit: ${audit.lost} rows lost (spool full)`)
      const cluster = services.cluster?.snapshot()
      if (cluster && cluster.connection.status !== 'connected') reasons.push('cluster: NATS not connected')
      const orphans = cluster?.partitions.filter((p) => p.owner === null).length ?? 0
      if (cluster?.updatedAt && orphans > 0) reasons.push(`cluster: ${orphans} partitions without a worker`)
      const body = {
        status: reasons.length === 0 ? ('ok' as const) : ('degraded' as const),
        reasons,
        db: dbUp ? ('up' as const) : ('down' as const),
        db_kind: app.services.db.kind,
        version: app.services.version,
        uptime_s: Math.round(process.uptime()),
        components,
      }
      return reply.code(dbUp && services.accepting ? 200 : 503).send(body)
    },
  )
}

export default healthRoutes
