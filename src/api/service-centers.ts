import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  ServiceCenterParamsSchema,
  ServiceCenterSchema,
  SlotSchema,
  SlotsQuerySchema,
} from '../schemas/bookings.js'
import { errorResponses } from '../schemas/common.js'

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
}

export default serviceCentersRoutes
