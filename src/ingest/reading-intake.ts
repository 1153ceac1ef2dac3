import { NUMERIC_FIELDS, type TelemetryReading, TelemetryReadingSchema } from '../schemas/telemetry.js'
import type { WriteResult } from './telemetry-writer.js'

/** What became of one submitted reading: the answer a device gets for it. */
export type SubmitResult =
  | { status: 'stored' }
  /** That (vehicle, timestamp) is stored already: a retry, a replay or a duplicate. */
  | { status: 'duplicate' }
  | { status: 'rejected'; code: RejectCode; field?: string; message: string }

export type RejectCode =
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'INVALID_VALUE'
  | 'INVALID_TIMESTAMP'
  | 'TIMESTAMP_IN_FUTURE'
  | 'VIN_MISMATCH'
  | 'UNKNOWN_VEHICLE'
  | 'OVERLOADED'
  | 'SHUTTING_DOWN'
  // A whole message refused (MQTT): not JSON, too large, too many readings.
  | 'BAD_PAYLOAD'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_READINGS'

export type Rejection = Extract<SubmitResult, { status: 'rejected' }>

/** A device's clock may run a little ahead; more than this is a broken clock, not a reading. */
export const MAX_FUTURE_MS = 5 * 60_000

const reject = (code: RejectCode, message: string, field?: string): Rejection => ({
  status: 'rejected',
  code,
  message,
  ...(field ? { field } : {}),
})

/**
 * A device's reading as the pipeline takes it: the VIN comes from the device's credentials (a
 * body naming another VIN is refused), the timestamp may be ISO 8601 or epoch milliseconds and
 * becomes canonical ISO UTC, and a timestamp more than five minutes ahead is refused.
 */
export function normaliseDeviceReading(
  raw: unknown,
  vin: string,
  nowMs: number,
): TelemetryReading | Rejection {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return reject('NOT_AN_OBJECT', 'A reading is a JSON object of signal names and values')
  }
  const body = raw as Record<string, unknown>
  if (body.vin !== undefined && body.vin !== vin) {
    return reject('VIN_MISMATCH', 'A device may send readings of its own vehicle only', 'vin')
  }
  const ms = toEpochMs(body.timestamp)
  if (ms === undefined) {
    return reject('INVALID_TIMESTAMP', 'timestamp must be ISO 8601 or epoch milliseconds', 'timestamp')
  }
  if (ms > nowMs + MAX_FUTURE_MS) {
    return reject(
      'TIMESTAMP_IN_FUTURE',
      'timestamp is more than 5 minutes ahead of the server clock',
      'timestamp',
    )
  }
  const parsed = TelemetryReadingSchema.safeParse({ ...body, vin, timestamp: new Date(ms).toISOString() })
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const field = issue.path.join('.') || undefined
  const missing =
    field !== undefined && (NUMERIC_FIELDS as readonly string[]).includes(field) && !(field in body)
  return missing
    ? reject('MISSING_FIELD', `${field} is required`, field)
    : reject('INVALID_VALUE', `${field ?? 'reading'}: ${issue.message}`, field)
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string' || value.length > 40) return undefined
  // ISO 8601 with a date and time; Date.parse alone also takes loose forms like "1 May".
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(value))
    return undefined
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? ms : undefined
}

/** What a device is told once the writer has its row. */
export function toSubmitResult(result: WriteResult): SubmitResult {
  if (result === 'dropped') {
    return {
      status: 'rejected',
      code: 'OVERLOADED',
      message: 'The service is overloaded; send it again later',
    }
  }
  return { status: result }
}
