import { sql } from 'kysely'
import { DATA_QUALITY_ALARM, type RulMethod, type Severity } from '../../domain.js'
import type { Db } from '../client.js'

/** What the service demand forecast reads: live bookings, open episodes, and the booking history. */

export interface LiveBooking {
  service_center_id: string
  vehicle_id: string
  appointment_time: Date
  status: 'PENDING' | 'CONFIRMED' | 'COMPLETED'
}

export interface OpenEpisodeRow {
  id: string
  vehicle_id: string
  severity: Severity
  rul_prediction: number | null
  rul_low_days: number | null
  rul_high_days: number | null
  rul_method: RulMethod | null
  rul_estimated_at: Date | null
  detected_at: Date
  /** The episode's latest reading (the vehicle's clock, like the two above). */
  last_seen_at: Date
}

export function forecastRepository(db: Db) {
  return {
    /** Bookings that are not CANCELLED with a start in [from, to), every centre. */
    async liveBookings(from: Date, to: Date): Promise<LiveBooking[]> {
      const rows = await db
        .selectFrom('service_bookings')
        .select(['service_center_id', 'vehicle_id', 'appointment_time', 'status'])
        .where('status', '<>', 'CANCELLED')
        .where('appointment_time', '>=', from)
        .where('appointment_time', '<', to)
        .execute()
      return rows.map((r) => ({
        ...r,
        appointment_time: new Date(r.appointment_time),
        status: r.status as LiveBooking['status'],
      }))
    },

    /** Unresolved maintenance episodes (data-quality alarms are no visit). */
    async openEpisodes(): Promise<OpenEpisodeRow[]> {
      const rows = await db
        .selectFrom('anomaly_events')
        .select([
          'id',
          'vehicle_id',
          'severity',
          'rul_prediction',
          'rul_low_days',
          'rul_high_days',
          'rul_method',
          'rul_estimated_at',
          'detected_at',
          'last_seen_at',
        ])
        .where('status', '<>', 'RESOLVED')
        .where('anomaly_type', '<>', DATA_QUALITY_ALARM)
        .execute()
      return rows.map((r) => ({
        ...r,
        rul_estimated_at: r.rul_estimated_at === null ? null : new Date(r.rul_estimated_at),
        detected_at: new Date(r.detected_at),
        last_seen_at: new Date(r.last_seen_at),
      }))
    },

    /** Vehicles holding a PENDING or CONFIRMED booking that starts at or after `after`. */
    async vehiclesWithUpcomingBooking(after: Date): Promise<Set<string>> {
      const rows = await db
        .selectFrom('service_bookings')
        .select('vehicle_id')
        .distinct()
        .where('status', 'in', ['PENDING', 'CONFIRMED'])
        .where('appointment_time', '>=', after)
        .execute()
      return new Set(rows.map((r) => r.vehicle_id))
    },

    /** Each vehicle's centre of its latest booking (any status): where its next visit most likely goes. */
    async homeCenters(): Promise<Map<string, string>> {
      const rows = await db
        .selectFrom('service_bookings')
        .select(['vehicle_id', 'service_center_id'])
        .distinctOn('vehicle_id')
        .orderBy('vehicle_id')
        .orderBy('appointment_time', 'desc')
        .execute()
      return new Map(rows.map((r) => [r.vehicle_id, r.service_center_id]))
    },

    /**
     * The fleet's clock: the latest reading any maintenance episode saw (detection times are the
     * vehicles' clock, which a replay of old data keeps behind the server's), and the first detection.
     */
    async episodeClock(): Promise<{ first: Date | null; latest: Date | null }> {
      const row = await db
        .selectFrom('anomaly_events')
        .select((eb) => [eb.fn.min('detected_at').as('first'), eb.fn.max('last_seen_at').as('latest')])
        .where('anomaly_type', '<>', DATA_QUALITY_ALARM)
        .executeTakeFirstOrThrow()
      const at = (d: Date | string | null) => (d === null ? null : new Date(d))
      return { first: at(row.first), latest: at(row.latest) }
    },

    /** Maintenance episodes detected in [from, to]. */
    async episodesDetected(from: Date, to: Date): Promise<number> {
      const row = await db
        .selectFrom('anomaly_events')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('anomaly_type', '<>', DATA_QUALITY_ALARM)
        .where('detected_at', '>=', from)
        .where('detected_at', '<=', to)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },

    /**
     * Decided maintenance episodes and how many led to a booking the owner confirmed (CONFIRMED or
     * COMPLETED). Decided: resolved, or booked and confirmed; an open one with only a pending
     * proposal is not decided yet. A cancelled proposal of a resolved episode counts as not booked.
     */
    async bookingHistory(): Promise<{ episodes: number; booked: number }> {
      const row = await db
        .selectFrom('anomaly_events as a')
        .select((eb) => [
          eb.fn.countAll<string | number>().as('episodes'),
          sql<string | number>`count(*) FILTER (WHERE ${eb.exists(
            eb
              .selectFrom('service_bookings as b')
              .select(sql`1`.as('one'))
              .whereRef('b.anomaly_event_id', '=', 'a.id')
              .where('b.status', 'in', ['CONFIRMED', 'COMPLETED']),
          )})`.as('booked'),
        ])
        .where('a.anomaly_type', '<>', DATA_QUALITY_ALARM)
        .where((eb) =>
          eb.or([
            eb('a.status', '=', 'RESOLVED'),
            eb.exists(
              eb
                .selectFrom('service_bookings as b')
                .select(sql`1`.as('one'))
                .whereRef('b.anomaly_event_id', '=', 'a.id')
                .where('b.status', 'in', ['CONFIRMED', 'COMPLETED']),
            ),
          ]),
        )
        .executeTakeFirstOrThrow()
      return { episodes: Number(row.episodes), booked: Number(row.booked) }
    },
  }
}

export type ForecastRepository = ReturnType<typeof forecastRepository>
