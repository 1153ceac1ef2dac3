import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AlarmRow } from '../db/repositories/history.js'
import { DATA_QUALITY_ALARM, SEVERITIES, STAFF } from '../domain.js'
import { AppError } from '../errors.js'
import { messages } from '../ingest/messages.js'
import {
  AcknowledgeBodySchema,
  AlarmCountsSchema,
  AlarmFilterQuerySchema,
  AlarmListQuerySchema,
  AssignBodySchema,
} from '../schemas/alarms.js'
import { errorResponses, VinSchema } from '../schemas/common.js'
import { AlarmSchema } from '../schemas/history.js'
import { TimelineSchema, toTimeline } from '../schemas/timeline.js'
import { toAlarmDtos } from './history-dto.js'
import { caller } from './plugins/access.js'

type Query = z.infer<typeof AlarmFilterQuerySchema>

/** The query's filters as the repository takes them. */
function filterOf(q: Query) {
  return {
    statuses: q.status,
    severities: q.severity,
    types: q.type,
    vin: q.vin,
    centerId: q.center_id,
    from: q.from,
    to: q.to,
  }
}

const AlarmParams = z.object({ id: z.uuid() })

const alarmsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { repos, bus, episodes } = app.services

  /** Staff and the owner hear of a changed alarm (a data-quality one: staff only). */
  const announce = (alarm: AlarmRow, status: AlarmRow['status']) => {
    const notice = {
      id: alarm.id,
      vin: alarm.vin,
      status,
      severity: alarm.severity,
      anomaly_type: alarm.anomaly_type,
    }
    bus.publish(
      alarm.anomaly_type === DATA_QUALITY_ALARM
        ? messages.dataQuality(notice)
        : messages.alarm(notice, alarm.owner_id),
    )
  }

  app.get(
    '/api/alarms',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['alarms'],
        summary: 'Anomaly episodes as alarms, filtered and sorted (customers: their own vehicles)',
        description:
          'Filters combine: status, severity and type take comma lists; `center_id` keeps alarms booked at ' +
          'that centre; `from`/`to` bound the detection time. `sort=severity` puts the worst first and, ' +
          'within a severity, the longest waiting first.',
        querystring: AlarmListQuerySchema,
        response: { 200: z.array(AlarmSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const user = caller(request)
      const { sort, limit, ...filters } = request.query
      const rows = await repos.history.listAlarms(user, { ...filterOf(filters), sort, limit })
      return toAlarmDtos(app, rows, user.role)
    },
  )

  app.get(
    '/api/alarms/counts',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['alarms'],
        summary: 'How many alarms of each severity match the filters (the severity filter itself left out)',
        querystring: AlarmFilterQuerySchema,
        response: { 200: AlarmCountsSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { severity: _ignored, ...filters } = request.query
      const by = await repos.history.countBySeverity(caller(request), filterOf(filters))
      return { total: SEVERITIES.reduce((n, s) => n + by[s], 0), by_severity: by }
    },
  )

  app.post(
    '/api/alarms/:id/ack',
    {
      config: { access: ['service', 'manufacturer'] },
      schema: {
        tags: ['alarms'],
        summary:
          'Acknowledge an open alarm, with an optional note: it stays tracked but is not notified again',
        description: 'Resolution comes from recovery (the signal back to normal) or a completed service.',
        params: AlarmParams,
        body: AcknowledgeBodySchema,
        response: { 200: AlarmSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = caller(request)
      const alarm = await repos.history.findAlarm(user, request.params.id)
      if (!alarm) throw new AppError('ALARM_NOT_FOUND')
      const acked = await repos.history.acknowledge(alarm.id, user.id, request.body?.note ?? null)
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
      episodes.markAcknowledged(alarm.vehicle_id, alarm.anomaly_type)
      const fresh = await repos.history.findAlarm(user, alarm.id)
      const [dto] = await toAlarmDtos(app, [fresh ?? { ...alarm, ...acked }], user.role)
      announce(alarm, 'ACKNOWLEDGED')
      return dto!
    },
  )

  app.post(
    '/api/alarms/:id/assign',
    {
      config: { access: ['service', 'manufacturer'] },
      schema: {
        tags: ['alarms'],
        summary: 'Give an unresolved alarm to a staff member (null: to nobody)',
        params: AlarmParams,
        body: AssignBodySchema,
        response: { 200: AlarmSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const user = caller(request)
      const alarm = await repos.history.findAlarm(user, request.params.id)
      if (!alarm) throw new AppError('ALARM_NOT_FOUND')
      const { assignee_id } = request.body
      if (assignee_id) {
        const assignee = await repos.users.getUserById(assignee_id)
        if (!assignee || assignee.disabled_at || !STAFF.includes(assignee.role)) {
          throw new AppError(
            'INVALID_REFERENCE',
            'Alarms are assigned to an active service or manufacturer account',
            {
              field: 'body.assignee_id',
            },
          )
        }
      }
      const assigned = await repos.history.assign(alarm.id, assignee_id, user.id)
      if (!assigned) {
        throw new AppError(
          'INVALID_TRANSITION',
          'The alarm is RESOLVED; a resolved alarm cannot be assigned',
          {
            from: alarm.status,
            to: alarm.status,
            allowed: [],
          },
        )
      }
      const fresh = await repos.history.findAlarm(user, alarm.id)
      const [dto] = await toAlarmDtos(app, [fresh!], user.role)
      announce(alarm, assigned.status)
      return dto!
    },
  )

  app.get(
    '/api/vehicles/:vin/timeline',
    {
      config: { access: ['service', 'manufacturer'] },
      schema: {
        tags: ['alarms', 'vehicles'],
        summary: "What happened to a vehicle's alarms, oldest first, and who did it",
        description:
          'Opened, escalated, acknowledged (with the note), assigned, diagnosed, the owner messaged, booked, ' +
          'serviced (with the workshop notes), cancelled and resolved, for its 50 latest alarms.',
        params: z.object({ vin: VinSchema }),
        response: { 200: TimelineSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const vehicle = await repos.vehicles.findVisibleByVin(caller(request), request.params.vin)
      if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
      return toTimeline(vehicle.vin, await repos.timeline.forVehicle(vehicle.id))
    },
  )
}

export default alarmsRoutes
