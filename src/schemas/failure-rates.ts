import { z } from 'zod'
import { DateTimeSchema, VinSchema } from './common.js'

/** Failures per 1,000 vehicle-days: null where no vehicle of the batch was observed. */
const RateSchema = z.number().nullable().describe('failure episodes per 1,000 vehicle-days')

const RateCellSchema = z.object({
  component: z.string(),
  batch: z.string(),
  events: z.number().int(),
  affected_vehicles: z.number().int(),
  vehicle_days: z.number(),
  rate: RateSchema,
})

export const FailureRatesQuerySchema = z.object({
  from: DateTimeSchema.optional().describe('reading time, inclusive'),
  to: DateTimeSchema.optional().describe('reading time, exclusive'),
  period: z.enum(['day', 'week']).default('week').describe('length of one point of the series'),
  component: z.string().trim().min(1).max(64).optional().describe('only this component’s series'),
  batch: z.string().trim().min(1).max(32).optional().describe('only this batch’s series'),
})

export const FailureRatesSchema = z
  .object({
    period: z.enum(['day', 'week']),
    unit: z.literal('failures per 1,000 vehicle-days'),
    /** Every component of the rules table and every batch of the fleet, failures or not. */
    components: z.array(z.string()),
    batches: z.array(z.object({ batch: z.string(), vehicles: z.number().int() })),
    /** One per component x batch, over the whole window. */
    cells: z.array(RateCellSchema),
    /** Per period (its first day, UTC) and component x batch; periods without exposure are absent. */
    series: z.array(RateCellSchema.extend({ period: z.string() })),
  })
  .meta({ id: 'FailureRates' })

export const AffectedVehiclesQuerySchema = z.object({
  component: z.string().trim().min(1).max(64).optional(),
  batch: z.string().trim().min(1).max(32).optional(),
  from: DateTimeSchema.optional(),
  to: DateTimeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

export const AffectedVehicleSchema = z.object({
  vin: VinSchema,
  model: z.string(),
  batch: z.string(),
  component: z.string(),
  anomaly_type: z.string(),
  events: z.number().int(),
  last_detected_at: z.string(),
  open: z.boolean().describe('an episode of this type is still unresolved'),
})

export type FailureRates = z.infer<typeof FailureRatesSchema>
type Cell = z.infer<typeof RateCellSchema>

export interface RateInputs {
  period: 'day' | 'week'
  exposure: ReadonlyArray<{ period: string; batch: string; vehicle_days: number }>
  failures: ReadonlyArray<{
    period: string
    batch: string
    anomaly_type: string
    events: number
    vehicles: number
  }>
  batches: ReadonlyArray<{ batch: string; vehicles: number }>
  /** The component of each anomaly type (the rules table); an unknown type counts as `other`. */
  componentOf: ReadonlyMap<string, string>
  /** Only this component's and this batch's series (the cells are always the whole grid). */
  only?: { component?: string; batch?: string }
}

const round = (n: number, digits: number) => Number(n.toFixed(digits))
const rateOf = (events: number, vehicleDays: number) =>
  vehicleDays > 0 ? round((events / vehicleDays) * 1000, 2) : null

/**
 * The grid (every component x every batch, so the heat-map is whole from the first minute) and the
 * series: failure episodes per 1,000 vehicle-days of the batch. Affected vehicles within one cell
 * are summed over the component's anomaly types (a vehicle with two types counts twice there).
 */
export function failureRates(input: RateInputs): FailureRates {
  const componentOf = (t: string) => input.componentOf.get(t) ?? 'other'
  const components = new Set(input.componentOf.values())
  for (const f of input.failures) components.add(componentOf(f.anomaly_type))
  const batchSet = new Map(input.batches.map((b) => [b.batch, b.vehicles]))
  for (const e of input.exposure) if (!batchSet.has(e.batch)) batchSet.set(e.batch, 0)

  const days = new Map<string, number>()
  const periodDays = new Map<string, number>()
  for (const e of input.exposure) {
    days.set(e.batch, (days.get(e.batch) ?? 0) + e.vehicle_days)
    periodDays.set(`${e.period}\u0000${e.batch}`, e.vehicle_days)
  }
  const cellCounts = new Map<string, { events: number; vehicles: number }>()
  const seriesCounts = new Map<string, { events: number; vehicles: number }>()
  const add = (map: typeof cellCounts, key: string, f: { events: number; vehicles: number }) => {
    const c = map.get(key) ?? { events: 0, vehicles: 0 }
    c.events += f.events
    c.vehicles += f.vehicles
    map.set(key, c)
  }
  for (const f of input.failures) {
    const component = componentOf(f.anomaly_type)
    add(cellCounts, `${component}\u0000${f.batch}`, f)
    add(seriesCounts, `${f.period}\u0000${component}\u0000${f.batch}`, f)
  }

  const sortedComponents = [...components].sort()
  const sortedBatches = [...batchSet.keys()].sort()
  const cell = (
    component: string,
    batch: string,
    counts: { events: number; vehicles: number } | undefined,
    vd: number,
  ): Cell => ({
    component,
    batch,
    events: counts?.events ?? 0,
    affected_vehicles: counts?.vehicles ?? 0,
    vehicle_days: round(vd, 3),
    rate: rateOf(counts?.events ?? 0, vd),
  })
  const cells = sortedComponents.flatMap((component) =>
    sortedBatches.map((batch) =>
      cell(component, batch, cellCounts.get(`${component}\u0000${batch}`), days.get(batch) ?? 0),
    ),
  )
  const { only } = input
  const periods = [...new Set(input.exposure.map((e) => e.period))].sort()
  const series = periods.flatMap((period) =>
    sortedComponents
      .filter((c) => !only?.component || c === only.component)
      .flatMap((component) =>
        sortedBatches
          .filter((b) => !only?.batch || b === only.batch)
          .filter((b) => periodDays.has(`${period}\u0000${b}`))
          .map((batch) => ({
            period,
            ...cell(
              component,
              batch,
              seriesCounts.get(`${period}\u0000${component}\u0000${batch}`),
              periodDays.get(`${period}\u0000${batch}`) ?? 0,
            ),
          })),
      ),
  )
  return {
    period: input.period,
    unit: 'failures per 1,000 vehicle-days',
    components: sortedComponents,
    batches: sortedBatches.map((batch) => ({ batch, vehicles: batchSet.get(batch) ?? 0 })),
    cells,
    series,
  }
}
