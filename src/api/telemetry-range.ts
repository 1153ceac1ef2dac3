import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import type { Vehicle } from '../db/schema.js'
import { DateTimeSchema } from '../schemas/common.js'
import type { TelemetryReading } from '../schemas/telemetry.js'
import {
  TELEMETRY_BUCKETS,
  type TelemetryBucket,
  TelemetryBucketSchema,
  type TelemetryBucketSize,
  toStoredReading,
  toTelemetryBucket,
} from '../schemas/telemetry-series.js'
import { ReadingSchema } from '../schemas/vehicles.js'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
/** The longest range one request may ask for. */
export const MAX_RANGE_DAYS = 400
/** At most this many raw readings per answer (and the default in range mode). */
export const MAX_RAW_ROWS = 10_000
const MAX_RECENT = 1000

export const TelemetryQuerySchema = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_RAW_ROWS)
      .optional()
      .describe(
        `recent mode: 1-${MAX_RECENT}, default 120; raw range: 1-${MAX_RAW_ROWS}, default ${MAX_RAW_ROWS}`,
      ),
    from: DateTimeSchema.optional().describe(
      'start of the range (inclusive); without it, the recent readings held in memory',
    ),
    to: DateTimeSchema.optional().describe('end of the range (exclusive); default now'),
    bucket: z
      .enum(TELEMETRY_BUCKETS)
      .optional()
      .describe('default by range length: up to 1 day raw, up to 31 days 1h, longer 1d'),
  })
  .superRefine((q, ctx) => {
    if (!q.from) {
      if (q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from is required with to' })
      if (q.bucket) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from is required with bucket' })
      if (q.limit !== undefined && q.limit > MAX_RECENT)
        ctx.addIssue({ code: 'custom', path: ['limit'], message: `at most ${MAX_RECENT} recent readings` })
      return
    }
    const from = Date.parse(q.from)
    const to = q.to ? Date.parse(q.to) : Date.now()
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' })
    else if (to - from > MAX_RANGE_DAYS * DAY_MS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `a range spans at most ${MAX_RANGE_DAYS} days` })
  })

export type TelemetryQuery = z.infer<typeof TelemetryQuerySchema>

export const TelemetryResponseSchema = z.union([z.array(ReadingSchema), z.array(TelemetryBucketSchema)])

export const TELEMETRY_DESCRIPTION =
  'Without `from`: the most recent readings held in memory (`limit`, default 120, at most 1,000), ' +
  'oldest first. With `from` (and `to`, default now; at most 400 days): stored telemetry of ' +
  '[from, to). `bucket=raw` returns the readings (`[Reading]`, oldest first, at most `limit` ' +
  '(default and maximum 10,000) per answer; when a page is full, the `x-next-from` header holds ' +
  'the `from` of the next page). `bucket=1h` or `1d` returns `[TelemetryBucket]` from the hourly ' +
  'rollups: every UTC hour or day starting in the range that has readings, with count, min, avg ' +
  'and max per signal. Without `bucket`: raw up to 1 day, 1h up to 31 days, 1d beyond.'

/** The bucket a range gets when the caller names none. */
export function defaultBucket(spanMs: number): TelemetryBucketSize {
  return spanMs <= DAY_MS ? 'raw' : spanMs <= 31 * DAY_MS ? '1h' : '1d'
}

/** Stored telemetry of one (visible) vehicle over a validated range. */
export async function telemetryRange(
  app: FastifyInstance,
  vehicle: Vehicle,
  query: TelemetryQuery & { from: string },
  reply: FastifyReply,
): Promise<TelemetryReading[] | TelemetryBucket[]> {
  const { series } = app.services
  const from = new Date(query.from)
  const to = query.to ? new Date(query.to) : new Date()
  const bucket = query.bucket ?? defaultBucket(to.getTime() - from.getTime())
  if (bucket === 'raw') {
    const limit = query.limit ?? MAX_RAW_ROWS
    const rows = await series.raw(vehicle.id, from, to, limit)
    const last = rows.at(-1)
    if (rows.length === limit && last)
      reply.header('x-next-from', new Date(new Date(last.ts).getTime() + 1).toISOString())
    return rows.map((row) => toStoredReading(vehicle.vin, row))
  }
  // A bucket is whole: the one holding `from` is included when it has readings.
  if (bucket === '1h') {
    const start = new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS)
    return (await series.hourly(vehicle.id, start, to)).map(toTelemetryBucket)
  }
  const start = new Date(Math.floor(from.getTime() / DAY_MS) * DAY_MS)
  return (await series.daily(vehicle.id, start, to)).map(toTelemetryBucket)
}
