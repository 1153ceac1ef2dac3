/**
 * The one catalog of errors the API can return. Every error body is
 * `{ error: { code, message, details? } }`; clients branch on `code`, people read `message`.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid' },
  BAD_REQUEST: { status: 400, message: 'The request could not be understood' },
  SLOT_UNAVAILABLE: { status: 400, message: 'That slot is not bookable' },
  CONSTRAINT_VIOLATION: { status: 400, message: 'A value breaks a data rule' },
  INVALID_CREDENTIALS: { status: 401, message: 'Email or password is incorrect' },
  AUTH_REQUIRED: { status: 401, message: 'Sign in to continue' },
  AUTH_TOKEN_INVALID: { status: 401, message: 'The access token is not valid' },
  AUTH_TOKEN_EXPIRED: { status: 401, message: 'The access token has expired; sign in again' },
  AUTH_TOKEN_REVOKED: {
    status: 401,
    message: 'This session has ended (the account was changed, disabled or removed); sign in again',
  },
  DEVICE_TOKEN_REQUIRED: {
    status: 401,
    message: 'Send the device token as Authorization: Bearer <token> or in the path',
  },
  DEVICE_TOKEN_INVALID: {
    status: 401,
    message: 'The device token is not valid (unknown, rotated out, or the vehicle is decommissioned)',
  },
  FORBIDDEN: { status: 403, message: 'Your role may not do this' },
  ACCOUNT_DISABLED: { status: 403, message: 'This account is disabled; ask an administrator' },
  ACCOUNT_LOCKED: {
    status: 403,
    message: 'This account is locked by security monitoring; staff can unlock it',
  },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  USER_NOT_FOUND: { status: 404, message: 'No such user' },
  VEHICLE_NOT_FOUND: { status: 404, message: 'No such vehicle' },
  BOOKING_NOT_FOUND: { status: 404, message: 'No such booking' },
  ALARM_NOT_FOUND: { status: 404, message: 'No such alarm' },
  SERVICE_CENTER_NOT_FOUND: { status: 404, message: 'No such service centre' },
  INSIGHT_NOT_FOUND: { status: 404, message: 'No such insight' },
  ENTITY_NOT_FOUND: { status: 404, message: 'No such monitored entity' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  URI_TOO_LONG: { status: 414, message: 'A path segment of the URL is too long' },
  WEBSOCKET_UPGRADE_REQUIRED: {
    status: 426,
    message: 'Connect with a WebSocket client (Upgrade: websocket)',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  TOO_MANY_READINGS: { status: 413, message: 'A request carries at most 1,000 readings' },
  ALREADY_EXISTS: { status: 409, message: 'That already exists' },
  SLOT_TAKEN: { status: 409, message: 'That slot has just been taken' },
  VEHICLE_DECOMMISSIONED: { status: 409, message: 'That vehicle is decommissioned' },
  INVALID_TRANSITION: { status: 409, message: 'That status change is not allowed' },
  VEHICLE_ALREADY_BOOKED: { status: 409, message: 'That vehicle already has a booking at that time' },
  TOO_MANY_OPEN_BOOKINGS: {
    status: 409,
    message: 'That vehicle has as many open bookings as allowed; complete or cancel one first',
  },
  FEEDBACK_NOT_ALLOWED: { status: 409, message: 'Feedback is only taken for completed bookings' },
  INVALID_REFERENCE: { status: 422, message: 'A referenced record does not exist' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'That Idempotency-Key was already used for a different request; use a new key',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again shortly' },
  AUTH_THROTTLED: {
    status: 429,
    message: 'Too many failed attempts; try again after the Retry-After seconds',
  },
  CLIENT_ABORTED: {
    status: 499,
    message: 'The client closed the connection before the request was complete',
  },
  DEVICE_THROTTLED: {
    status: 429,
    message: 'This device is throttled by security monitoring (a flood or impossible readings)',
  },
  INTERNAL: { status: 500, message: 'Something went wrong on our side' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is not answering' },
  INTAKE_BUSY: { status: 503, message: 'Telemetry intake is full; retry after the Retry-After seconds' },
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof ERRORS

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details: unknown
  /** Sent as `Retry-After` (seconds): when the client may try again (429, 503). */
  readonly retryAfterSeconds: number | undefined

  constructor(
    code: ErrorCode,
    message?: string,
    details?: unknown,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message ?? ERRORS[code].message, options)
    this.name = 'AppError'
    this.code = code
    this.statusCode = ERRORS[code].status
    this.details = details
    this.retryAfterSeconds = options?.retryAfterSeconds
  }
}

export function appError(code: ErrorCode, message?: string, details?: unknown): AppError {
  return new AppError(code, message, details)
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError
}
