import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses, iso, VinSchema } from '../schemas/common.js'
import {
  DeviceCredentialSchema,
  VehicleCreatedSchema,
  VehicleCreateSchema,
  VehicleSchema,
  VehicleUpdateSchema,
} from '../schemas/vehicles.js'
import { caller } from './plugins/access.js'
import { toVehicleDtos } from './vehicle-dto.js'

const VinParams = z.object({ vin: VinSchema })

/** The OEM's side of the fleet: onboarding vehicles, their device credentials, decommissioning. */
const fleetRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/vehicles',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['onboarding'],
        summary: 'Register a vehicle; the response carries its device token, shown this once',
        body: VehicleCreateSchema,
        response: { 201: VehicleCreatedSchema, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body
      const { vehicle, deviceToken } = await app.services.onboarding.createVehicle({
        vin: b.vin,
        owner: b.owner,
        model: b.model,
        year: b.year,
        batch: b.batch,
        vehicleType: b.vehicle_type,
      })
      const [dto] = await toVehicleDtos(app, [vehicle], caller(request).role)
      return reply.code(201).send({ ...dto!, device_token: deviceToken })
    },
  )

  app.patch(
    '/api/vehicles/:vin',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['onboarding'],
        summary: "Change a vehicle's owner, model, year, batch or type (not its VIN)",
        params: VinParams,
        body: VehicleUpdateSchema,
        response: { 200: VehicleSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const b = request.body
      const vehicle = await app.services.onboarding.updateVehicle(request.params.vin, {
        owner: b.owner,
        model: b.model,
        year: b.year,
        batch: b.batch,
        vehicleType: b.vehicle_type,
      })
      const [dto] = await toVehicleDtos(app, [vehicle], caller(request).role)
      return dto!
    },
  )

  app.delete(
    '/api/vehicles/:vin',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['onboarding'],
        summary: 'Decommission a vehicle: its row and history stay, its device token and intake stop',
        description:
          'Idempotent: a second call answers the same vehicle. Staff lists keep showing it with ' +
          '`decommissioned_at`; its owner no longer lists it.',
        params: VinParams,
        response: { 200: VehicleSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const vehicle = await app.services.onboarding.decommission(request.params.vin)
      const [dto] = await toVehicleDtos(app, [vehicle], caller(request).role)
      return dto!
    },
  )

  app.post(
    '/api/vehicles/:vin/credentials',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['onboarding', 'devices'],
        summary: 'Issue a new device token (rotation): the old one stops working at once',
        params: VinParams,
        response: { 201: DeviceCredentialSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const issued = await app.services.onboarding.rotateCredentials(request.params.vin)
      return reply
        .code(201)
        .send({ vin: issued.vin, device_token: issued.deviceToken, issued_at: iso(issued.issuedAt) })
    },
  )
}

export default fleetRoutes
