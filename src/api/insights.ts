import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ManufacturingInsight } from '../db/schema.js'
import { errorResponses, iso } from '../schemas/common.js'
import { InsightQuerySchema, InsightSchema } from '../schemas/insights.js'

export function toInsightDto(row: ManufacturingInsight): z.infer<typeof InsightSchema> {
  return {
    id: row.id,
    component_name: row.component_name,
    failure_pattern: row.failure_pattern,
    affected_batch: row.affected_batch,
    recommendation: row.recommendation,
    confidence_score: row.confidence_score,
    event_count: row.event_count,
    evidence: row.evidence,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  }
}

const insightsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/insights',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['insights'],
        summary: 'Manufacturing (RCA/CAPA) insights, newest first',
        querystring: InsightQuerySchema,
        response: { 200: z.array(InsightSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => (await app.repos.insights.listInsights(request.query)).map(toInsightDto),
  )
}

export default insightsRoutes
