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

/** A Date from the database as the ISO-8601 string the API sends. */
export function iso(date: Date | string): string {
  return typeof date === 'string' ? new Date(date).toISOString() : date.toISOString()
}

export function isoOrNull(date: Date | string | null): string | null {
  return date === null ? null : iso(date)
}
