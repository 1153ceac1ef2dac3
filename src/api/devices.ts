import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses } from '../schemas/common.js'
import { IntakeBodySchema, IntakeResultSchema } from '../schemas/intake.js'
import { callingDevice } from './plugins/access.js'

/** 1,000 full readings are some 800 KB of JSON; anything much larger is refused with 413. */
const INTAKE_BODY_LIMIT = 2 * 1024 * 1024

const DESCRIPTION =
  'For telemetry units, in the shape ThingsBoard users know. The device token names the vehicle; ' +
  'answers `202 {accepted, duplicates, rejected: [{index, code, field?, message}]}` once the ' +
  'accepted readings are committed. A bad reading is rejected alone (by index), never the batch. ' +
  '`429` (this device is over its rate) and `503` (intake is full) carry `Retry-After`.'

const response = {
  202: IntakeResultSchema,
  ...errorResponses(400, 401, 413, 415, 429, 503),
}

const devicesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/v1/telemetry',
    {
      config: { access: 'device' },
      bodyLimit: INTAKE_BODY_LIMIT,
      schema: {
        tags: ['devices'],
        summary: 'Send readings with Authorization: Bearer <device token>',
        description: DESCRIPTION,
        body: IntakeBodySchema,
        response,
      },
    },
    async (request, reply) =>
      reply.code(202).send(await app.services.intake.accept(callingDevice(request), request.body)),
  )

  app.post(
    '/api/v1/:token/telemetry',
    {
      config: { access: 'device', tokenInPath: true },
      bodyLimit: INTAKE_BODY_LIMIT,
      schema: {
        tags: ['devices'],
        summary: 'Send readings with the device token in the path (for units that cannot set headers)',
        description: `${DESCRIPTION} Prefer the header form: a URL is more likely to end up in a log.`,
        params: z.object({ token: z.string().max(200) }),
        body: IntakeBodySchema,
        response,
      },
    },
    async (request, reply) =>
      reply.code(202).send(await app.services.intake.accept(callingDevice(request), request.body)),
  )
}

export default devicesRoutes
