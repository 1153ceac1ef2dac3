import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { DATA_QUALITY_ALARM } from '../domain.js'
import { AppError } from '../errors.js'
import { messages } from '../ingest/messages.js'
import { errorResponses, VinSchema } from '../schemas/common.js'
import { AlarmSchema, AnomalyStatusListSchema } from '../schemas/history.js'
import { toAlarmDtos } from './history-dto.js'
import { caller } from './plugins/access.js'

const alarmsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/alarms',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['alarms'],
        summary: 'Anomaly episodes as alarms, newest first (customers: their own vehicles)',
        querystring: z.object({
          status: AnomalyStatusListSchema.optional(),
          vin: VinSchema.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.array(AlarmSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const user = caller(request)
      const { status, vin, limit } = request.query
      const rows = await app.services.repos.history.listAlarms(user, { statuses: status, vin, limit })
      return toAlarmDtos(app, rows, user.role)
    },
  )

  app.post(
    '/api/alarms/:id/ack',
    {
      config: { access: ['service', 'manufacturer'] },
      schema: {
        tags: ['alarms'],
        summary: 'Acknowledge an open alarm: it stays tracked but is not notified again',
        description: 'Resolution comes from recovery (the signal back to normal) or a completed service.',
        params: z.object({ id: z.uuid() }),
        response: { 200: AlarmSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = caller(request)
      const alarm = await app.services.repos.history.findAlarm(user, request.params.id)
      if (!alarm) throw new AppError('ALARM_NOT_FOUND')
      const acked = await app.services.repos.history.acknowledge(alarm.id, user.id)
      if (!acked) {
        throw new AppError(
          'INVALID_TRANSITION',
          `The alarm is ${alarm.status}; only an OPEN alarm can be acknowledged`,
          {
            from: alarm.status,
            to: 'ACKNOWLEDGED',
            allowed: [],
          },
        )
      }
      app.services.episodes.markAcknowledged(alarm.vehicle_id, alarm.anomaly_type)
      const [dto] = await toAlarmDtos(app, [{ ...alarm, ...acked }], user.role)
      const notice = {
        id: alarm.id,
        vin: alarm.vin,
        status: 'ACKNOWLEDGED' as const,
        severity: alarm.severity,
        anomaly_type: alarm.anomaly_type,
      }
      app.services.bus.publish(
        alarm.anomaly_type === DATA_QUALITY_ALARM
          ? messages.dataQuality(notice)
          : messages.alarm(notice, alarm.owner_id),
      )
      return dto!
    },
  )
}

export default alarmsRoutes
