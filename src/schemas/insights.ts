import { z } from 'zod'
import { InsightStatusSchema } from '../domain.js'
import { DateTimeSchema } from './common.js'

export const InsightSchema = z
  .object({
    id: z.uuid(),
    component_name: z.string(),
    failure_pattern: z.string(),
    affected_batch: z.string().nullable(),
    recommendation: z.string().nullable(),
    confidence_score: z.number().nullable(),
    event_count: z.number().int(),
    evidence: z.record(z.string(), z.unknown()),
    status: InsightStatusSchema.describe(
      'the quality engineers’ workflow: new, investigating, action_taken, closed',
    ),
    status_changed_at: z.string().nullable(),
    status_changed_by: z.string().nullable().describe('user id of who moved it last'),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'ManufacturingInsight' })

export const InsightQuerySchema = z.object({
  component: z.string().trim().min(1).max(64).optional(),
  batch: z.string().trim().min(1).max(32).optional(),
  status: InsightStatusSchema.optional(),
  from: DateTimeSchema.optional(),
  to: DateTimeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

/** One step of an insight's workflow: who, when, from which status to which, and why. */
export const InsightNoteSchema = z
  .object({
    id: z.uuid(),
    insight_id: z.uuid(),
    from_status: InsightStatusSchema,
    to_status: InsightStatusSchema,
    note: z.string().nullable(),
    user_id: z.string().nullable(),
    user_name: z
      .string()
      .nullable()
      .describe('name (or email) of who wrote it; null once the account is gone'),
    created_at: z.string(),
  })
  .meta({ id: 'InsightNote' })

export const InsightChangeSchema = z
  .strictObject({
    status: InsightStatusSchema,
    note: z.string().trim().min(1).max(2000).optional(),
  })
  .describe('the new status (the current one to add a note alone) and an optional note')

export const InsightWithNotesSchema = InsightSchema.extend({ notes: z.array(InsightNoteSchema) })

/** Failure episodes by component and manufacturing batch, for the manufacturer's charts. */
export const InsightSummarySchema = z.object({
  components: z.array(z.string()),
  batches: z.array(z.string()),
  counts: z.array(
    z.object({
      component: z.string(),
      anomaly_type: z.string(),
      batch: z.string(),
      events: z.number().int(),
      vehicles: z.number().int(),
    }),
  ),
})
