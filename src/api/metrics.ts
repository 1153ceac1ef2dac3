import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'

/**
 * The Prometheus metrics for staff, on the API. A Prometheus scraping on a schedule is better
 * served by METRICS_PORT (no token that expires, nothing on the public port): see docs/metrics.md.
 */
const metricsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/metrics',
    {
      config: { access: ['service', 'manufacturer'] },
      schema: {
        tags: ['system'],
        summary:
          'Prometheus metrics of this process in the text exposition format (intake, queues, agent runs, ' +
          'alert latency, clients, database pool, partitions); every metric is listed in docs/metrics.md',
        produces: ['text/plain'],
        response: { 200: z.string().describe('text/plain; version=0.0.4') },
      },
    },
    async (_request, reply) => {
      const { metrics } = app.services
      return reply.type(metrics.contentType).send(await metrics.text())
    },
  )
}

export default metricsRoutes
