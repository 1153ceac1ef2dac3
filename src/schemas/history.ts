import { z } from 'zod'
import { SeveritySchema } from '../domain.js'
import { BookingSchema } from './bookings.js'
import { RulEstimateSchema } from './rul.js'

export const AnomalyStatusSchema = z.enum(['OPEN', 'ACKNOWLEDGED', 'RESOLVED'])

export const SignalDtoSchema = z.object({
  signal: z.string(),
  value: z.number(),
  threshold: z.number().optional(),
  baseline: z.number().optional(),
  z: z.number().optional(),
  score: z.number(),
  kind: z.enum(['threshold', 'drift']),
})

export const DiagnosisDtoSchema = z.object({
  id: z.uuid(),
  diagnosis_text: z.string(),
  confidence_score: z.number(),
  severity: SeveritySchema.nullable(),
  component: z.string().nullable(),
  recommended_action: z.string().nullable(),
  created_at: z.string(),
})

export const HistoryEventSchema = z
  .object({
    id: z.uuid(),
    detected_at: z.string(),
    last_seen_at: z.string(),
    anomaly_type: z.string(),
    severity: SeveritySchema,
    status: AnomalyStatusSchema,
    reason: z.string().nullable(),
    rul_prediction: z.number().nullable().describe('the same as rul_days (kept for older clients)'),
    ...RulEstimateSchema.shape,
    headline: z.string().describe("plain words for the owner, the alert's headline (from the row's signals)"),
    diagnosis: z.string().nullable().describe('the latest diagnosis (the first of `diagnoses`)'),
    owner_declined_at: z
      .string()
      .nullable()
      .describe("when the owner turned this episode's proposed service down"),
    owner_declined_severity: SeveritySchema.nullable().describe(
      'the severity they declined at: they are asked again only if it escalates above it',
    ),
    repeat_of: z
      .uuid()
      .nullable()
      .describe(
        'the earlier episode of this vehicle and type a completed service closed: the fault came back',
      ),
    occurrences: z.number().int(),
    signals: z.array(SignalDtoSchema),
    peak_values: z.record(z.string(), z.number()),
    sensor_snapshot: z.record(z.string(), z.unknown()),
    acknowledged_at: z.string().nullable(),
    resolved_at: z.string().nullable(),
    resolution: z.string().nullable(),
    diagnoses: z.array(DiagnosisDtoSchema),
    bookings: z.array(BookingSchema),
  })
  .meta({ id: 'HistoryEvent' })

const PersonRefSchema = z.object({ id: z.uuid(), name: z.string() })

export const AlarmSchema = HistoryEventSchema.extend({
  vin: z.string(),
  vehicle_model: z.string(),
  batch: z.string().nullable(),
  flapping: z
    .boolean()
    .describe(
      'opened and resolved again and again: kept open through short recoveries, owner not re-notified',
    ),
  assigned_to: PersonRefSchema.nullable().describe('the staff member working on it'),
  acknowledged_by: PersonRefSchema.nullable(),
  acknowledged_note: z.string().nullable().describe('what the operator wrote when acknowledging it'),
}).meta({ id: 'Alarm' })

/** `OPEN` or `OPEN,ACKNOWLEDGED`: a bad value is a 400 naming it. */
export const AnomalyStatusListSchema = z
  .string()
  .trim()
  .transform((raw, ctx) => {
    const values = raw
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean)
    const bad = values.filter((v) => !AnomalyStatusSchema.options.includes(v as never))
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown status ${bad.join(', ')}; use OPEN, ACKNOWLEDGED or RESOLVED`,
      })
      return z.NEVER
    }
    return values as z.infer<typeof AnomalyStatusSchema>[]
  })
