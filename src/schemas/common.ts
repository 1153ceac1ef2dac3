import { z } from 'zod'
import { ERRORS, type ErrorCode } from '../errors.js'

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'ErrorResponse' })

export type ErrorResponse = z.infer<typeof ErrorResponseSchema>

/** `{ 400: ErrorResponse, 401: ErrorResponse, ... }` for a route's `response` schema. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponseSchema])) as Record<
    S,
    typeof ErrorResponseSchema
  >
}

export const UuidSchema = z.uuid()
export const VinSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-HJ-NPR-Z0-9]{17}$/, 'a VIN is 17 characters, letters and digits without I, O or Q')

/** The dates the API takes: anything outside is a typo or a probe, never a real reading or booking. */
export const EARLIEST_DATE = '2000-01-01T00:00:00.000Z'
export const LATEST_DATE = '2100-01-01T00:00:00.000Z'
const EARLIEST_MS = Date.parse(EARLIEST_DATE)
const LATEST_MS = Date.parse(LATEST_DATE)

/** ISO 8601 with an offset, between 2000 and 2099 (year 9999 is a 400 naming the field, not a 500). */
export const DateTimeSchema = z.iso.datetime({ offset: true }).refine(
  (value) => {
    const ms = Date.parse(value)
    return ms >= EARLIEST_MS && ms < LATEST_MS
  },
  { message: 'a date and time from 2000 to 2099' },
)

/** A Date from the database as the ISO-8601 string the API sends. */
export function iso(date: Date | string): string {
  return typeof date === 'string' ? new Date(date).toISOString() : date.toISOString()
}

export function isoOrNull(date: Date | string | null): string | null {
  return date === null ? null : iso(date)
}
