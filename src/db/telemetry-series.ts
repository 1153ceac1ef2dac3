import { sql } from 'kysely'
import type { Db } from './client.js'

/** One (vehicle, UTC hour) whose rollup must be recomputed; `bucket` is the hour's start. */
export interface BucketKey {
  vehicleId: string
  bucket: Date
}

/** A stored reading as the range query returns it: `vals` in NUMERIC_FIELDS' order. */
export interface RawRow {
  ts: Date
  vals: (number | null)[]
}

/** An hourly or daily bucket: its start, how many readings, and per-signal arrays in `vals`' order. */
export interface BucketRow {
  bucket: Date
  n: number
  min_vals: (number | null)[]
  avg_vals: (number | null)[]
  max_vals: (number | null)[]
}

export const HOUR_MS = 3_600_000

/** `min(vals[1]), min(vals[2]), ...` for `signals` elements: element-wise aggregates, generated. */
function each(signals: number, expr: (i: number) => string): string {
  return Array.from({ length: signals }, (_, k) => expr(k + 1)).join(', ')
}

/**
 * The time-series side of `telemetry_logs`: hourly rollups kept exact by recomputing touched
 * buckets from the raw rows (idempotent: `INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO
 * UPDATE`), and the range reads of the API. `signals` is NUMERIC_FIELDS' length (this layer does
 * not know the schema), from which every element-wise expression is generated.
 */
export function telemetrySeries(db: Db, { signals }: { signals: number }) {
  if (!Number.isInteger(signals) || signals < 1) throw new Error(`bad signal count: ${signals}`)
  const aggregates = sql.raw(
    [
      'count(*)::int',
      `array[${each(signals, (i) => `min(t.vals[${i}])`)}]`,
      `array[${each(signals, (i) => `avg(t.vals[${i}])`)}]`,
      `array[${each(signals, (i) => `max(t.vals[${i}])`)}]`,
    ].join(', '),
  )
  const upsert = sql.raw(
    'on conflict (vehicle_id, bucket) do update set n = excluded.n, min_vals = excluded.min_vals, ' +
      'avg_vals = excluded.avg_vals, max_vals = excluded.max_vals, updated_at = now()',
  )
  // Daily from hourly: min of mins, max of maxes, the average weighted by each hour's count.
  const daily = sql.raw(
    [
      'sum(h.n)::int as n',
      `array[${each(signals, (i) => `min(h.min_vals[${i}])`)}] as min_vals`,
      `array[${each(
        signals,
        (i) =>
          `sum(h.avg_vals[${i}] * h.n) / nullif(sum(h.n) filter (where h.avg_vals[${i}] is not null), 0)`,
      )}] as avg_vals`,
      `array[${each(signals, (i) => `max(h.max_vals[${i}])`)}] as max_vals`,
    ].join(', '),
  )

  return {
    /**
     * Recomputes these (vehicle, hour) buckets from the raw rows. `keys` must be distinct. The
     * overall time bounds let PostgreSQL prune the day partitions at plan time.
     */
    async recompute(keys: readonly BucketKey[]): Promise<number> {
      if (keys.length === 0) return 0
      let lo = Number.POSITIVE_INFINITY
      let hi = Number.NEGATIVE_INFINITY
      for (const k of keys) {
        lo = Math.min(lo, k.bucket.getTime())
        hi = Math.max(hi, k.bucket.getTime() + HOUR_MS)
      }
      const r = await sql`
        insert into telemetry_hourly (vehicle_id, bucket, n, min_vals, avg_vals, max_vals)
        select k.vehicle_id, k.bucket, ${aggregates}
        from unnest(${sql.val(keys.map((k) => k.vehicleId))}::uuid[],
                    ${sql.val(keys.map((k) => k.bucket.toISOString()))}::timestamptz[]) as k(vehicle_id, bucket)
        join telemetry_logs t on t.vehicle_id = k.vehicle_id
          and t.ts >= k.bucket and t.ts < k.bucket + interval '1 hour'
        where t.ts >= ${new Date(lo).toISOString()}::timestamptz and t.ts < ${new Date(hi).toISOString()}::timestamptz
        group by k.vehicle_id, k.bucket
        ${upsert}`.execute(db)
      return Number(r.numAffectedRows ?? 0)
    },

    /** Recomputes every bucket of every vehicle with readings in [from, to) (hour-aligned bounds). */
    async recomputeRange(from: Date, to: Date): Promise<number> {
      const r = await sql`
        insert into telemetry_hourly (vehicle_id, bucket, n, min_vals, avg_vals, max_vals)
        select t.vehicle_id, date_trunc('hour', t.ts, 'UTC'), ${aggregates}
        from telemetry_logs t
        where t.ts >= ${from.toISOString()}::timestamptz and t.ts < ${to.toISOString()}::timestamptz
        group by 1, 2
        ${upsert}`.execute(db)
      return Number(r.numAffectedRows ?? 0)
    },

    /** The newest rolled-up hour of any vehicle, or null when there are no rollups. */
    async newestBucket(): Promise<Date | null> {
      const r = await sql<{ b: Date | null }>`select max(bucket) as b from telemetry_hourly`.execute(db)
      const b = r.rows[0]?.b
      return b ? new Date(b) : null
    },

    /** Up to `limit` stored readings of a vehicle in [from, to), oldest first (one index range scan). */
    async raw(vehicleId: string, from: Date, to: Date, limit: number): Promise<RawRow[]> {
      return db
        .selectFrom('telemetry_logs')
        .select(['ts', 'vals'])
        .where('vehicle_id', '=', vehicleId)
        .where('ts', '>=', from)
        .where('ts', '<', to)
        .orderBy('ts')
        .limit(limit)
        .execute()
    },

    /** The hourly buckets of a vehicle starting in [from, to), oldest first. */
    async hourly(vehicleId: string, from: Date, to: Date): Promise<BucketRow[]> {
      return db
        .selectFrom('telemetry_hourly')
        .select(['bucket', 'n', 'min_vals', 'avg_vals', 'max_vals'])
        .where('vehicle_id', '=', vehicleId)
        .where('bucket', '>=', from)
        .where('bucket', '<', to)
        .orderBy('bucket')
        .execute()
    },

    /** The UTC-day buckets of a vehicle starting in [from, to), from its hourly rows, oldest first. */
    async daily(vehicleId: string, from: Date, to: Date): Promise<BucketRow[]> {
      const r = await sql<BucketRow>`
        select date_trunc('day', h.bucket, 'UTC') as bucket, ${daily}
        from telemetry_hourly h
        where h.vehicle_id = ${vehicleId} and h.bucket >= ${from.toISOString()}::timestamptz
          and h.bucket < ${to.toISOString()}::timestamptz
        group by 1 order by 1`.execute(db)
      return r.rows.map((row) => ({ ...row, bucket: new Date(row.bucket) }))
    },
  }
}

export type TelemetrySeries = ReturnType<typeof telemetrySeries>
