import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { verifyChain } from '../agents/ueba/verify.js'
import { DateTimeSchema, errorResponses, iso } from '../schemas/common.js'
import { ChainReportSchema, UebaLogSchema, uebaLogDto } from '../schemas/ueba.js'
import { decodeCursor, PageQuerySchema, page } from './pagination.js'
import { caller } from './plugins/access.js'

const DRILLS = {
  /** The engagement agent tries to hand a run straight to root-cause analysis. */
  engagement_to_rca: { source: 'customer_engagement', target: 'rca', kind: 'transition' },
  /** The customer-facing agent tries to write manufacturing data. */
  engagement_writes_manufacturing: {
    source: 'customer_engagement',
    target: 'manufacturing_insights',
    kind: 'write',
  },
} as const

/** What a drill's staged attempt is about: a made-up subject, no customer's vehicle. */
export const DRILL_SUBJECT = 'synthetic drill subject (no vehicle)'

const uebaRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/ueba/logs',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['ueba'],
        summary: 'Every agent transition and write attempt, newest first',
        querystring: PageQuerySchema.extend({
          status: z.enum(['ALLOWED', 'BLOCKED']).optional(),
          agent: z.string().trim().min(1).max(64).optional(),
          action: z.string().trim().min(1).max(64).optional().describe('transition, write, api_request, ...'),
          drill: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional()
            .describe('true: security drills only; false: real events only'),
          from: DateTimeSchema.optional(),
          to: DateTimeSchema.optional(),
        }),
        response: {
          200: z.object({ items: z.array(UebaLogSchema), next_cursor: z.string().nullable() }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      const rows = await app.services.repos.ueba.list({
        ...filter,
        after: decodeCursor(cursor),
        limit: limit + 1,
      })
      const { items, next_cursor } = page(rows, limit, (r) => ({ at: iso(r.timestamp), id: r.id }))
      return { items: items.map((r) => uebaLogDto(r, r.vin)), next_cursor }
    },
  )

  app.get(
    '/api/ueba/verify',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['ueba'],
        summary: 'Recompute the audit log hash chain and name the first broken link',
        description:
          'Every ueba_logs row carries SHA-256 (HMAC with AUDIT_CHAIN_KEY) of its content and the previous ' +
          "row's hash. An UPDATE or DELETE of a row, or a row inserted behind the service's back, breaks the " +
          'chain at that row: `first_broken` says where (position, row id, time) and how (expected vs found). ' +
          'Also the write path: rows spooled during an outage and rows lost to a full spool.',
        response: { 200: ChainReportSchema, ...errorResponses(401, 403) },
      },
    },
    async () => {
      const { services } = app
      const report = await verifyChain(services.repos.ueba, services.config.audit.chainKey)
      const s = services.agents.ueba.auditStats
      return {
        ...report,
        audit: {
          written: s.written,
          pending: s.pending,
          spooled: s.spooled,
          spool: s.spool,
          dropped: s.dropped,
          lost: s.lost,
          failing_since: s.failingSince,
          last_error: s.lastError,
        },
      }
    },
  )

  app.post(
    '/api/ueba/drills',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['ueba'],
        summary: 'Security drill: make an agent attempt a forbidden step and show that UEBA blocks it',
        description:
          'Asks the real UEBA gate to let the customer-engagement agent jump to RCA, or write manufacturing ' +
          'data. Both are outside the allowed policy: the attempt is logged BLOCKED and pushed to dashboards ' +
          'as a security event, marked `drill` and about a synthetic subject, never a customer’s vehicle.',
        body: z.strictObject({
          scenario: z.enum(['engagement_to_rca', 'engagement_writes_manufacturing']),
        }),
        response: {
          200: z.object({ scenario: z.string(), allowed: z.boolean(), log: UebaLogSchema }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const drill = DRILLS[request.body.scenario]
      // Never a real vehicle: a drill on a customer's VIN would read as an incident of that car.
      const context = {
        requestId: request.id,
        vehicleId: null,
        vin: null,
        userId: caller(request).id,
        details: { drill: request.body.scenario, subject: DRILL_SUBJECT },
      }
      const { ueba } = app.services.agents
      const verdict =
        drill.kind === 'transition'
          ? await ueba.gate(drill.source, drill.target, context)
          : await ueba.authorizeWrite(drill.source, drill.target, context)
      await verdict.recorded
      return {
        scenario: request.body.scenario,
        allowed: verdict.allowed,
        log: uebaLogDto(verdict.log, null),
      }
    },
  )
}

export default uebaRoutes
