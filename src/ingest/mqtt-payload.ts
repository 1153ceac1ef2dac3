import type { ReadingSink } from './pipeline-types.js'
import type { Rejection, SubmitResult } from './reading-intake.js'

/** The topics a vehicle's unit uses: it publishes readings, and subscribes to its alerts and errors. */
export const topics = {
  telemetry: (vin: string) => `vehicles/${vin}/telemetry`,
  alerts: (vin: string) => `vehicles/${vin}/alerts`,
  errors: (vin: string) => `vehicles/${vin}/errors`,
}

const TELEMETRY_TOPIC = /^vehicles\/([A-HJ-NPR-Z0-9]{17})\/telemetry$/

/** The VIN a telemetry topic names, or undefined for any other topic. */
export function vinOfTelemetryTopic(topic: string): string | undefined {
  return TELEMETRY_TOPIC.exec(topic)?.[1]
}

/** A payload holds one reading or an array of up to this many. */
export const MAX_READINGS_PER_MESSAGE = 1000
/** Larger payloads are refused before they are parsed. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024

export interface PayloadOutcome {
  /** One result per reading, in order; empty when the payload itself was refused. */
  results: SubmitResult[]
  /** Why the whole payload was refused (not JSON, too large, too many readings). */
  refused?: Rejection
}

/**
 * One MQTT message of `vin`'s unit: parsed, each reading submitted in order, and answered once
 * every reading is committed or refused (what a QoS 1 PUBACK waits for).
 */
export async function takePayload(
  pipeline: ReadingSink,
  vin: string,
  payload: Buffer,
): Promise<PayloadOutcome> {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return refuse('PAYLOAD_TOO_LARGE', `A message may carry at most ${MAX_PAYLOAD_BYTES} bytes`)
  }
  let body: unknown
  try {
    body = JSON.parse(payload.toString('utf8'))
  } catch {
    return refuse('BAD_PAYLOAD', 'The payload is not JSON: send one reading object or an array of them')
  }
  const readings = Array.isArray(body) ? body : [body]
  if (readings.length > MAX_READINGS_PER_MESSAGE) {
    return refuse('TOO_MANY_READINGS', `A message may carry at most ${MAX_READINGS_PER_MESSAGE} readings`)
  }
  // Submitted in order (the pipeline analyses in timestamp order), answered together.
  return { results: await Promise.all(readings.map((r) => pipeline.submit(r, vin))) }
}

function refuse(
  code: 'BAD_PAYLOAD' | 'PAYLOAD_TOO_LARGE' | 'TOO_MANY_READINGS',
  message: string,
): PayloadOutcome {
  return { results: [], refused: { status: 'rejected', code, message } }
}

/** What the unit is told on its errors topic about a message that was not (wholly) taken. */
export function errorReport(outcome: PayloadOutcome): string | undefined {
  if (outcome.refused) return JSON.stringify({ code: outcome.refused.code, message: outcome.refused.message })
  const rejected = outcome.results.flatMap((r, index) =>
    r.status === 'rejected' ? [{ index, code: r.code, field: r.field ?? null, message: r.message }] : [],
  )
  return rejected.length > 0 ? JSON.stringify({ code: 'READINGS_REJECTED', rejected }) : undefined
}
