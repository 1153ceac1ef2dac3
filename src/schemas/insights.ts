import { z } from 'zod'
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
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'ManufacturingInsight' })

export const InsightQuerySchema = z.object({
  component: z.string().trim().min(1).max(64).optional(),
  batch: z.string().trim().min(1).max(32).optional(),
  from: DateTimeSchema.optional(),
  to: DateTimeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

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
