import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  ServiceCenterParamsSchema,
  ServiceCenterSchema,
  SlotSchema,
  SlotsQuerySchema,
} from '../schemas/bookings.js'
import { errorResponses } from '../schemas/common.js'
import { DemandForecastSchema } from '../schemas/forecast.js'

const serviceCentersRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/service-centers',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['service-centers'],
        summary: 'Service centres with their bays, opening hours, slot length and time zone',
        response: { 200: z.array(ServiceCenterSchema), ...errorResponses(401) },
      },
    },
    async () =>
      (await app.services.repos.serviceCenters.listCenters()).map((c) => ({
        id: c.id,
        name: c.name,
        city: c.city,
        bays: c.bays,
        opening_hour: c.opening_hour,
        closing_hour: c.closing_hour,
        slot_minutes: c.slot_minutes,
        timezone: c.timezone,
      })),
  )

  app.get(
    '/api/service-centers/:id/slots',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['service-centers'],
        summary: 'Free slots of one centre, soonest first',
        description:
          'Slots starting within the next `days` days from `from` (default now), at least an hour ahead.',
        params: ServiceCenterParamsSchema,
        querystring: SlotsQuerySchema,
        response: { 200: z.array(SlotSchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { from, days, limit } = request.query
      return app.services.scheduling.checkAvailability(request.params.id, from, { days, limit })
    },
  )

  app.get(
    '/api/service-centers/:id/forecast',
    {
      config: { access: ['service', 'manufacturer'] },
      schema: {
        tags: ['service-centers'],
        summary: "Expected service visits per day for the next 14 days, against the centre's capacity",
        description:
          "Days are the centre's local days. expected = confirmed bookings + pending proposals and open, " +
          'unbooked episodes routed to the centre, each times the learned share of owners who book and, for ' +
          'an episode, the probability (from its RUL interval, or a window by severity) that its visit falls ' +
          'that day. expected_low..expected_high is an 80 % interval; overloaded means expected > capacity ' +
          '(bays x slot starts), at_risk that expected_high > capacity.',
        params: ServiceCenterParamsSchema,
        response: { 200: DemandForecastSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => app.services.forecast.forecast(request.params.id),
  )
}

export default serviceCentersRoutes
