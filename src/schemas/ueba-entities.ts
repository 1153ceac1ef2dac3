import { z } from 'zod'

export const EntityKindSchema = z.enum(['agent', 'user', 'device'])

const RiskReasonSchema = z.object({
  at: z.string(),
  rule: z
    .string()
    .describe(
      'refused, first_seen_action, first_seen_resource, uncommon_volume, uncommon_vs_peers, burst, ' +
        'a sequence rule (telematics_out_of_role, retried_after_refusal, vin_enumeration, ' +
        'admin_after_refusal), or released',
    ),
  points: z.number().describe('added to the score, after the entity’s criticality'),
  detail: z.string(),
})

export const UebaEntitySchema = z
  .object({
    id: z.string().describe('`agent:<name>`, `user:<id>` or `device:<VIN>`'),
    kind: EntityKindSchema,
    actor_id: z.string(),
    label: z.string().describe('the agent’s name, the user’s role, or `device`'),
    score: z.number().min(0).max(100).describe('risk 0-100, halving every UEBA_HALF_LIFE_HOURS'),
    band: z.enum(['Unknown', 'Low', 'Moderate', 'High', 'Critical']),
    priority: z.number().int().min(0).max(10).describe('investigation priority'),
    state: z.enum(['active', 'stepped_up', 'locked', 'quarantined', 'throttled']),
    reasons: z.array(RiskReasonSchema).describe('the last 20 anomalies, newest first'),
    events: z.number().int(),
    first_seen: z.string(),
    last_seen: z.string(),
    released_at: z.string().nullable(),
    released_by: z.string().nullable(),
  })
  .meta({ id: 'UebaEntity' })

export const EntityIdSchema = z
  .string()
  .max(200)
  .regex(/^(agent|user|device):[A-Za-z0-9_.-]{1,128}$/, 'agent:<name>, user:<id> or device:<VIN>')
