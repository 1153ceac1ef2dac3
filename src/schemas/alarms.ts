import { z } from 'zod'
import { SEVERITIES, type Severity } from '../domain.js'
import { DateTimeSchema, VinSchema } from './common.js'
import { AnomalyStatusListSchema } from './history.js'

/** `High,Critical` (any case): a bad value is a 400 naming it. */
const SeverityListSchema = z
  .string()
  .trim()
  .transform((raw, ctx) => {
    const values = raw
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean)
    const out: Severity[] = []
    for (const v of values) {
      const found = SEVERITIES.find((s) => s.toLowerCase() === v)
      if (!found) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown severity ${v.slice(0, 40)}; use ${SEVERITIES.join(', ')}`,
        })
        return z.NEVER
      }
      out.push(found)
    }
    return [...new Set(out)]
  })

const TypeListSchema = z
  .string()
  .trim()
  .max(500)
  .transform((raw) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[a-z0-9_]{1,64}$/, 'an alarm type looks like battery_overheat')))

/** What the alarm console filters by; every filter is optional and they combine. */
export const AlarmFilterQuerySchema = z.object({
  status: AnomalyStatusListSchema.optional(),
  severity: SeverityListSchema.optional().describe(
    `One severity or a comma list of ${SEVERITIES.join(', ')}`,
  ),
  type: TypeListSchema.optional().describe(
    'One alarm type or a comma list (battery_overheat,motor_vibration)',
  ),
  vin: VinSchema.optional(),
  center_id: z.uuid().optional().describe('alarms with a booking at this service centre'),
  from: DateTimeSchema.optional().describe('detected at or after'),
  to: DateTimeSchema.optional().describe('detected before'),
})

export const AlarmListQuerySchema = AlarmFilterQuerySchema.extend({
  sort: z
    .enum(['newest', 'oldest', 'severity'])
    .default('newest')
    .describe('severity: worst first, and within a severity the longest waiting first'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

export const AlarmCountsSchema = z
  .object({
    total: z.number().int(),
    by_severity: z.object(
      Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int()])) as Record<Severity, z.ZodNumber>,
    ),
  })
  .meta({ id: 'AlarmCounts' })

export const AcknowledgeBodySchema = z
  .object({ note: z.string().trim().min(1).max(2000).optional().describe('what the operator found or did') })
  // A POST without a body arrives as null.
  .nullish()

export const AssignBodySchema = z.object({
  assignee_id: z.uuid().nullable().describe('a service or manufacturer account; null takes the alarm back'),
})
