import { AppError } from '../errors.js'

/** SQLSTATE codes we turn into client errors. Both `pg` and PGlite expose them as `code`. */
const SQLSTATE = {
  foreignKeyViolation: '23503',
  uniqueViolation: '23505',
  checkViolation: '23514',
  notNullViolation: '23502',
  invalidTextRepresentation: '22P02',
  numericOutOfRange: '22003',
  invalidDatetime: '22007',
  datetimeOverflow: '22008',
} as const

interface DriverError {
  code?: unknown
  constraint?: unknown
  detail?: unknown
  table?: unknown
  column?: unknown
}

export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const code = (err as DriverError).code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (sqlState(err) !== SQLSTATE.uniqueViolation) return false
  return constraint === undefined || (err as DriverError).constraint === constraint
}

export function isForeignKeyViolation(err: unknown): boolean {
  return sqlState(err) === SQLSTATE.foreignKeyViolation
}

export function isCheckViolation(err: unknown): boolean {
  return sqlState(err) === SQLSTATE.checkViolation
}

/**
 * Maps a constraint violation to the client error it means. Returns undefined for anything
 * else (connection loss, syntax errors), which stays a 5xx. Details name the constraint, never
 * the SQL or values.
 */
export function mapDatabaseError(err: unknown): AppError | undefined {
  const state = sqlState(err)
  if (!state) return undefined
  const e = err as DriverError
  const details = typeof e.constraint === 'string' ? { constraint: e.constraint } : undefined
  switch (state) {
    case SQLSTATE.foreignKeyViolation:
      return new AppError('INVALID_REFERENCE', undefined, details, { cause: err })
    case SQLSTATE.uniqueViolation:
      return new AppError('ALREADY_EXISTS', undefined, details, { cause: err })
    case SQLSTATE.checkViolation:
    case SQLSTATE.notNullViolation:
      return new AppError('CONSTRAINT_VIOLATION', undefined, details, { cause: err })
    case SQLSTATE.invalidTextRepresentation:
    case SQLSTATE.numericOutOfRange:
    case SQLSTATE.invalidDatetime:
    case SQLSTATE.datetimeOverflow:
      return new AppError('BAD_REQUEST', 'A value has the wrong format', undefined, { cause: err })
    default:
      return undefined
  }
}
