import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses } from '../schemas/common.js'

const ThresholdSchema = z
  .object({
    type: z.string(),
    label: z.string(),
    component: z.string(),
    signal: z.string(),
    direction: z.enum(['above', 'below']),
    threshold: z.number().describe('beyond this the alarm is High'),
    critical: z.number().describe('beyond this it is Critical'),
  })
  .meta({ id: 'RuleThreshold' })

/** The rules table's levels, so charts draw the same lines the detector alarms on. */
const rulesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/rules/thresholds',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['telemetry'],
        summary: 'The alarm levels of the rules in force (enabled rules only), one per anomaly type',
        response: { 200: z.array(ThresholdSchema), ...errorResponses(401) },
      },
    },
    async () =>
      app.services.agents.analyzer.rules
        .filter((r) => r.enabled !== false)
        .map((r) => ({
          type: r.type,
          label: r.label,
          component: r.component,
          signal: r.signal,
          direction: r.direction,
          threshold: r.threshold,
          critical: r.critical,
        })),
  )
}

export default rulesRoutes
