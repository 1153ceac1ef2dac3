import { stringify } from 'csv-stringify/sync'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ManufacturingInsight } from '../db/schema.js'
import { errorResponses, iso } from '../schemas/common.js'
import { InsightQuerySchema, InsightSchema, InsightSummarySchema } from '../schemas/insights.js'

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
    async (request) => (await app.services.repos.insights.listInsights(request.query)).map(toInsightDto),
  )

  app.get(
    '/api/insights/summary',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['insights'],
        summary: 'Failure episodes by component and manufacturing batch, for charts',
        querystring: InsightQuerySchema.pick({ from: true, to: true }),
        response: {
          200: InsightSummarySchema,
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const componentOf = new Map(app.services.agents.analyzer.rules.map((r) => [r.type, r.component]))
      const rows = await app.services.repos.history.countsByTypeAndBatch(request.query)
      const counts = rows.map((r) => ({
        component: componentOf.get(r.anomaly_type) ?? 'other',
        anomaly_type: r.anomaly_type,
        batch: r.batch ?? 'unknown',
        events: r.events,
        vehicles: r.vehicles,
      }))
      return {
        components: [...new Set(counts.map((c) => c.component))].sort(),
        batches: [...new Set(counts.map((c) => c.batch))].sort(),
        counts,
      }
    },
  )

  app.get(
    '/api/insights/export.csv',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['insights'],
        summary: 'The insights as a CSV download (same filters as the list)',
        produces: ['text/csv'],
        querystring: InsightQuerySchema.extend({
          limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
        }),
        response: { 200: z.string().describe('text/csv'), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const rows = (await app.services.repos.insights.listInsights(request.query)).map(toInsightDto)
      const csv = stringify(
        rows.map((r) => [
          r.id,
          r.created_at,
          r.updated_at,
          r.component_name,
          r.failure_pattern,
          r.affected_batch ?? '',
          r.recommendation ?? '',
          r.confidence_score ?? '',
          r.event_count,
          JSON.stringify(r.evidence),
        ]),
        {
          header: true,
          quoted_string: true,
          columns: [
            'id',
            'created_at',
            'updated_at',
            'component_name',
            'failure_pattern',
            'affected_batch',
            'recommendation',
            'confidence_score',
            'event_count',
            'evidence',
          ],
        },
      )
      const date = new Date().toISOString().slice(0, 10)
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="autonoma-insights-${date}.csv"`)
        .send(csv)
    },
  )
}

export default insightsRoutes
