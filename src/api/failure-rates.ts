import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses, iso } from '../schemas/common.js'
import {
  AffectedVehicleSchema,
  AffectedVehiclesQuerySchema,
  FailureRatesQuerySchema,
  FailureRatesSchema,
  failureRates,
} from '../schemas/failure-rates.js'

const failureRatesRoutes: FastifyPluginAsyncZod = async (app) => {
  /** The component of each anomaly type, from the rules table in force. */
  const componentOf = () => new Map(app.services.agents.analyzer.rules.map((r) => [r.type, r.component]))

  app.get(
    '/api/failure-rates',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['insights'],
        summary: 'Failure rates per 1,000 vehicle-days, per component and batch, over time',
        description:
          'Numerator: failure episodes (data-quality alarms excluded) opened in the window, by the reading time ' +
          'that opened them. Denominator: vehicle-days of operation, each stored reading summarising 15 minutes ' +
          '(96 are a day, from the hourly rollups), however fast they were sent. `cells` is the whole component x batch grid; `series` one point per period.',
        querystring: FailureRatesQuerySchema,
        response: { 200: FailureRatesSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { period, component, batch, ...window } = request.query
      const repo = app.services.repos.failureRates
      const [exposure, failures, batches] = await Promise.all([
        repo.exposure(period, window),
        repo.failures(period, window),
        repo.batches(),
      ])
      return failureRates({
        period,
        exposure,
        failures,
        batches,
        componentOf: componentOf(),
        only: { component, batch },
      })
    },
  )

  app.get(
    '/api/failure-rates/vehicles',
    {
      config: { access: ['manufacturer'] },
      schema: {
        tags: ['insights'],
        summary: 'The vehicles behind a failure rate: VINs with their episodes of the component',
        querystring: AffectedVehiclesQuerySchema,
        response: { 200: z.array(AffectedVehicleSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { component, batch, limit, ...window } = request.query
      const components = componentOf()
      const known = [...components.keys()]
      // `other` is every type the rules table does not name.
      const anomalyTypes = !component
        ? undefined
        : component === 'other'
          ? undefined
          : known.filter((t) => components.get(t) === component)
      const rows = await app.services.repos.failureRates.affectedVehicles({
        ...window,
        anomalyTypes,
        batch,
        limit,
      })
      return rows
        .map((r) => ({
          ...r,
          component: components.get(r.anomaly_type) ?? 'other',
          last_detected_at: iso(r.last_detected_at),
        }))
        .filter((r) => !component || r.component === component)
    },
  )
}

export default failureRatesRoutes
