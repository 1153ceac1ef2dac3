import { z } from 'zod'
import type { BucketRow, RawRow } from '../db/telemetry-series.js'
import { NUMERIC_FIELDS, type NumericField, type TelemetryReading } from './telemetry.js'

/** The bucket sizes of the range API; `raw` is the stored readings themselves. */
export const TELEMETRY_BUCKETS = ['raw', '1h', '1d'] as const
export type TelemetryBucketSize = (typeof TELEMETRY_BUCKETS)[number]

/** One number per signal; null only when no reading of the bucket had that signal. */
const SignalValuesSchema = z
  .object(
    Object.fromEntries(NUMERIC_FIELDS.map((f) => [f, z.number().nullable()])) as Record<
      NumericField,
      z.ZodNullable<z.ZodNumber>
    >,
  )
  .meta({ id: 'SignalValues' })

export const TelemetryBucketSchema = z
  .object({
    timestamp: z.string().describe('start of the bucket (UTC hour or UTC day), ISO-8601'),
    count: z.number().int().describe('readings in the bucket'),
    min: SignalValuesSchema,
    avg: SignalValuesSchema.describe('the mean; for a day, of its hours weighted by their counts'),
    max: SignalValuesSchema,
  })
  .meta({ id: 'TelemetryBucket' })

export type TelemetryBucket = z.infer<typeof TelemetryBucketSchema>

function signals(vals: readonly (number | null)[]): Record<NumericField, number | null> {
  const out: Record<string, number | null> = {}
  NUMERIC_FIELDS.forEach((field, i) => {
    out[field] = vals[i] ?? null
  })
  return out as Record<NumericField, number | null>
}

export function toTelemetryBucket(row: BucketRow): TelemetryBucket {
  return {
    timestamp: row.bucket.toISOString(),
    count: row.n,
    min: signals(row.min_vals),
    avg: signals(row.avg_vals),
    max: signals(row.max_vals),
  }
}

/** A stored row as a `Reading`; a signal stored without a value (null) stays null. */
export function toStoredReading(vin: string, row: RawRow): TelemetryReading {
  const reading: Record<string, string | number | null> = { vin, timestamp: new Date(row.ts).toISOString() }
  for (let i = 0; i < NUMERIC_FIELDS.length; i++) reading[NUMERIC_FIELDS[i]!] = row.vals[i] ?? null
  return reading as TelemetryReading
}

/**
 * A reading's sensor values in NUMERIC_FIELDS' order, as stored: a signal without a valid value
 * is NULL in the float8[], never NaN (NaN is a number to PostgreSQL and its aggregates).
 */
export function readingValues(reading: TelemetryReading): (number | null)[] {
  const values = reading as unknown as Record<string, number | null>
  return NUMERIC_FIELDS.map((field) => {
    const v = values[field]
    return typeof v === 'number' && Number.isFinite(v) ? v : null
  })
}
