import { sql } from 'kysely'
import { DATA_QUALITY_ALARM, READING_WINDOW_MINUTES } from '../../domain.js'
import type { Db } from '../client.js'

/** How long one period of the failure-rate series is. */
export type RatePeriod = 'day' | 'week'

export interface RateWindow {
  from?: string
  to?: string
}

/** Vehicles of one batch observed in one period: the rate's denominator. */
export interface ExposureRow {
  period: string
  batch: string
  /** Hours with at least one stored reading, over 24, summed over the batch's vehicles. */
  vehicle_days: number
  vehicles: number
}

/** Failure episodes of one type in one batch that opened in one period: the rate's numerator. */
export interface FailureRow {
  period: string
  batch: string
  anomaly_type: string
  events: number
  vehicles: number
}

export interface AffectedVehicle {
  vin: string
  model: string
  batch: string
  anomaly_type: string
  events: number
  last_detected_at: Date
  open: boolean
}

/** A vehicle without a batch is counted, under this name, rather than left out of the rates. */
export const UNKNOWN_BATCH = 'unknown'

const READINGS_TO_DAYS = READING_WINDOW_MINUTES / 1440

const batchOf = sql<string>`coalesce(v.batch, ${UNKNOWN_BATCH})`

/**
 * Failure rates per 1,000 vehicle-days. Exposure comes from the hourly rollups as readings times
 * the window each one summarises (`READING_WINDOW_MINUTES`: 96 readings are a vehicle-day), so
 * operating time counts the same whether it was replayed from the file's clock, sent by a unit in
 * real time, or sent by a live replay's time-lapse (a 15-minute reading every few seconds).
 */
export function failureRatesRepository(db: Db) {
  return {
    async exposure(period: RatePeriod, window: RateWindow): Promise<ExposureRow[]> {
      const p = sql.lit(period)
      const rows = await sql<ExposureRow>`
        select to_char(date_trunc(${p}, h.bucket at time zone 'UTC'), 'YYYY-MM-DD') as period,
               ${batchOf} as batch,
               (sum(h.n)::float8 * ${READINGS_TO_DAYS}) as vehicle_days,
               count(distinct h.vehicle_id)::int as vehicles
        from telemetry_hourly h join vehicles v on v.id = h.vehicle_id
        where h.n > 0 ${range(sql`h.bucket`, window)}
        group by 1, 2
        order by 1, 2`.execute(db)
      return rows.rows
    },

    async failures(period: RatePeriod, window: RateWindow): Promise<FailureRow[]> {
      const p = sql.lit(period)
      const rows = await sql<FailureRow>`
        select to_char(date_trunc(${p}, e.detected_at at time zone 'UTC'), 'YYYY-MM-DD') as period,
               ${batchOf} as batch,
               e.anomaly_type,
               count(*)::int as events,
               count(distinct e.vehicle_id)::int as vehicles
        from anomaly_events e join vehicles v on v.id = e.vehicle_id
        where e.anomaly_type <> ${DATA_QUALITY_ALARM} ${range(sql`e.detected_at`, window)}
        group by 1, 2, 3
        order by 1, 2, 3`.execute(db)
      return rows.rows
    },

    /** Every batch of the fleet with its vehicle count, so a batch without failures still shows. */
    async batches(): Promise<Array<{ batch: string; vehicles: number }>> {
      const rows = await sql<{ batch: string; vehicles: number }>`
        select ${batchOf} as batch, count(*)::int as vehicles from vehicles v group by 1 order by 1`.execute(
        db,
      )
      return rows.rows
    },

    /** The vehicles with failures of these types (in this batch), most events first. */
    async affectedVehicles(
      filter: RateWindow & { anomalyTypes?: readonly string[]; batch?: string; limit: number },
    ): Promise<AffectedVehicle[]> {
      const types = filter.anomalyTypes
      if (types && types.length === 0) return []
      const rows = await sql<AffectedVehicle>`
        select v.vin, v.model, ${batchOf} as batch, e.anomaly_type,
               count(*)::int as events, max(e.detected_at) as last_detected_at,
               bool_or(e.status <> 'RESOLVED') as open
        from anomaly_events e join vehicles v on v.id = e.vehicle_id
        where e.anomaly_type <> ${DATA_QUALITY_ALARM}
          ${types ? sql`and e.anomaly_type in (${sql.join(types)})` : sql``}
          ${filter.batch ? sql`and ${batchOf} = ${filter.batch}` : sql``}
          ${range(sql`e.detected_at`, filter)}
        group by v.vin, v.model, 3, e.anomaly_type
        order by events desc, last_detected_at desc, v.vin
        limit ${filter.limit}`.execute(db)
      return rows.rows
    },
  }
}

function range(column: ReturnType<typeof sql>, window: RateWindow) {
  return sql`${window.from ? sql`and ${column} >= ${new Date(window.from)}` : sql``}
    ${window.to ? sql`and ${column} < ${new Date(window.to)}` : sql``}`
}

export type FailureRatesRepository = ReturnType<typeof failureRatesRepository>
