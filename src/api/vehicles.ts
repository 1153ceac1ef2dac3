import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../errors.js'
import { DateTimeSchema, errorResponses, VinSchema } from '../schemas/common.js'
import { AnomalyStatusListSchema, HistoryEventSchema } from '../schemas/history.js'
import { VehicleSchema } from '../schemas/vehicles.js'
import { toAlarmDtos } from './history-dto.js'
import { decodeCursor, PageQuerySchema, page } from './pagination.js'
import { caller } from './plugins/access.js'
import {
  TELEMETRY_DESCRIPTION,
  TelemetryQuerySchema,
  TelemetryResponseSchema,
  telemetryRange,
} from './telemetry-range.js'
import { toVehicleDtos } from './vehicle-dto.js'

const VinParams = z.object({ vin: VinSchema })

const vehiclesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/vehicles',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['vehicles'],
        summary: 'The vehicles the caller may see (a customer: their own), with live health',
        response: { 200: z.array(VehicleSchema), ...errorResponses(401) },
      },
    },
    async (request) => {
      const user = caller(request)
      return toVehicleDtos(app, await app.services.repos.vehicles.listVisible(user), user.role)
    },
  )

  app.get(
    '/api/vehicles/:vin',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['vehicles'],
        summary: 'One vehicle with its live health',
        params: VinParams,
        response: { 200: VehicleSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const user = caller(request)
      const vehicle = await app.services.repos.vehicles.findVisibleByVin(user, request.params.vin)
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      const [dto] = await toVehicleDtos(app, [vehicle], user.role)
      return dto!
    },
  )

  app.get(
    '/api/vehicles/:vin/telemetry',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['vehicles'],
        summary: 'Recent readings held in memory, or stored telemetry over a range (raw, hourly or daily)',
        description: TELEMETRY_DESCRIPTION,
        params: VinParams,
        querystring: TelemetryQuerySchema,
        response: { 200: TelemetryResponseSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const vehicle = await app.services.repos.vehicles.findVisibleByVin(caller(request), request.params.vin)
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      const { from } = request.query
      if (from) return telemetryRange(app, vehicle, { ...request.query, from }, reply)
      return app.services.pipeline.vehicleState(vehicle.vin)?.recent.toArray(request.query.limit ?? 120) ?? []
    },
  )

  app.get(
    '/api/vehicles/:vin/history',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['vehicles'],
        summary: "The vehicle's anomaly events with their diagnoses and bookings, newest first",
        description: 'Paginated with `limit` and the `next_cursor` of the previous page.',
        params: VinParams,
        querystring: PageQuerySchema.extend({
          status: AnomalyStatusListSchema.optional(),
          from: DateTimeSchema.optional(),
          to: DateTimeSchema.optional(),
        }),
        response: {
          200: z.object({ items: z.array(HistoryEventSchema), next_cursor: z.string().nullable() }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const user = caller(request)
      const vehicle = await app.services.repos.vehicles.findVisibleByVin(user, request.params.vin)
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      const { limit, cursor, status, from, to } = request.query
      const rows = await app.services.repos.history.listVehicleEvents(
        vehicle.id,
        { statuses: status, from, to, after: decodeCursor(cursor), limit: limit + 1 },
        user.role,
      )
      const { items, next_cursor } = page(rows, limit, (r) => ({ at: r.detected_at.toISOString(), id: r.id }))
      const dtos = await toAlarmDtos(app, items, user.role)
      return { items: dtos.map(({ vin: _v, vehicle_model: _m, batch: _b, ...event }) => event), next_cursor }
    },
  )
}

export default vehiclesRoutes
