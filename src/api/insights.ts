import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { InsightNoteView } from '../db/repositories/insights.js'
import type { ManufacturingInsight } from '../db/schema.js'
import { AppError } from '../errors.js'
import { errorResponses, iso, isoOrNull, UuidSchema } from '../schemas/common.js'
import {
  InsightChangeSchema,
  type InsightNoteSchema,
  InsightQuerySchema,
  InsightSchema,
  InsightSummarySchema,
  InsightWithNotesSchema,
} from '../schemas/insights.js'
import { filterLabel, insightsCsv } from '../schemas/insights-csv.js'
import { caller } from './plugins/access.js'

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
    status: row.status,
    status_changed_at: isoOrNull(row.status_changed_at),
    status_changed_by: row.status_changed_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  }
}

function toNoteDto(row: InsightNoteView): z.infer<typeof InsightNoteSchema> {
  return {
    id: row.id,
    insight_id: row.insight_id,
    from_status: row.from_status,
    to_status: row.to_status,
    note: row.note,
    user_id: row.user_id,
    user_name: row.user_name || row.user_email,
    created_at: iso(row.created_at),
  }
}

const IdParams = z.object({ id: UuidSchema })

const insightsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { insights } = app.services.repos

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
    async (request) => (await insights.listInsights(request.query)).map(toInsightDto),
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
        summary: 'The insights as a CSV download: all of them, or the filter given (named in the file)',
        description:
          'Without a filter every insight is exported. With one (component, batch, status, from, to) the ' +
          'file name and the `x-export-filter` header say which was applied, so a filtered file is never ' +
          'mistaken for the whole list. One value per cell: the workflow state, the newest note, and the RCA ' +
          'evidence as `evidence_*` columns.',
        produces: ['text/csv'],
        querystring: InsightQuerySchema.extend({
          limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
        }),
        response: { 200: z.string().describe('text/csv'), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { limit: _limit, ...filter } = request.query
      const rows = (await insights.listInsights(request.query)).map(toInsightDto)
      const latest = await insights.latestNotes(rows.map((r) => r.id))
      const notes = new Map(
        [...latest].map(([id, n]) => [
          id,
          { note: n.note, user_name: n.user_name || n.user_email, created_at: iso(n.created_at) },
        ]),
      )
      const label = filterLabel(filter)
      const date = new Date().toISOString().slice(0, 10)
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="autonoma-insights-${label}-${date}.csv"`)
        .header('x-export-filter', label)
        .send(insightsCsv(rows, notes))
    },
  )

  app.get(
    '/api/insights/:id',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['insights'],
        summary: 'One insight with its workflow: every status change and note, oldest first',
        params: IdParams,
        response: { 200: InsightWithNotesSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await insights.getById(request.params.id)
      if (!row) throw new AppError('INSIGHT_NOT_FOUND')
      const notes = await insights.listNotes(row.id)
      return { ...toInsightDto(row), notes: notes.map(toNoteDto) }
    },
  )

  app.patch(
    '/api/insights/:id',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['insights'],
        summary:
          'Move an insight through its workflow (new, investigating, action_taken, closed) with a note',
        description:
          'Any status may follow any other (a closed insight is reopened when the fix did not hold). Keeping ' +
          'the status adds a note alone, which then needs a text. Who and when are kept with each step, and ' +
          'the change is in the audit log.',
        params: IdParams,
        body: InsightChangeSchema,
        response: { 200: InsightWithNotesSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { status, note } = request.body
      const current = await insights.getById(request.params.id)
      if (!current) throw new AppError('INSIGHT_NOT_FOUND')
      if (current.status === status && !note) {
        throw new AppError(
          'VALIDATION_FAILED',
          'Invalid body.note: a note is needed when the status stays the same',
          {
            fields: [{ field: 'body.note', message: 'a note is needed when the status stays the same' }],
          },
        )
      }
      const changed = await insights.changeStatus(current.id, {
        status,
        note: note ?? null,
        userId: caller(request).id,
      })
      if (!changed) throw new AppError('INSIGHT_NOT_FOUND')
      const notes = await insights.listNotes(current.id)
      return { ...toInsightDto(changed.insight), notes: notes.map(toNoteDto) }
    },
  )
}

export default insightsRoutes
