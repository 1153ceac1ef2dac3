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

/**
 * Errors that mean "the database is not reachable right now", not "this request is wrong": the
 * server is down, restarting or refusing connections, the connection dropped, or no pooled
 * connection came free in time. Node's socket codes, SQLSTATE class 08 (connection exception),
 * 57P01-57P03 (admin or crash shutdown, cannot connect now), 53300 (too many connections).
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

/** Messages of `pg`, `pg-pool` and PGlite that carry no code. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|Cannot use a pool after calling end|PGlite is clos(ed|ing)/

/** Errors raised while opening a connection (whatever their code): see `connectionFailure`. */
const connectFailures = new WeakSet<object>()

/**
 * Marks an error raised while opening a pooled connection: it means the database is unreachable
 * (`55000` "not currently accepting connections", an authentication server gone, ...) even when
 * the same code from a query would mean something else. Returns the error, for `throw`.
 */
export function connectionFailure(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) connectFailures.add(err)
  return err
}

/** True when `err` (or its cause, or one of an AggregateError's errors) is a connection-level failure. */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false
  if (connectFailures.has(err)) return true
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }
  const code = typeof e.code === 'string' ? e.code : ''
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return true
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true
  if (Array.isArray(e.errors) && e.errors.some((inner) => isConnectionError(inner, depth + 1))) return true
  return isConnectionError(e.cause, depth + 1)
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
 * Maps a database error to the API error it means: a lost or refused connection to
 * DATABASE_UNAVAILABLE (503, worth retrying), a constraint violation to the client error it
 * means. Returns undefined for anything else (syntax errors, bugs), which stays a 500. Details
 * name the constraint, never the SQL or values.
 */
export function mapDatabaseError(err: unknown): AppError | undefined {
  if (isConnectionError(err))
    return new AppError('DATABASE_UNAVAILABLE', undefined, undefined, { cause: err })
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
