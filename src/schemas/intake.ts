import { z } from 'zod'
import { checksOwnCharacters } from './input-guard.js'

/** At most this many readings per HTTP intake request. */
export const MAX_READINGS_PER_REQUEST = 1000

/**
 * The codes one reading can be rejected with (the pipeline's `submit` decides them). A rejection
 * never stops the rest of the batch.
 */
export const READING_REJECTION_CODES = {
  NOT_AN_OBJECT: 'the reading is not a JSON object',
  MISSING_FIELD: 'a signal is missing',
  INVALID_VALUE: 'a value has the wrong type or is not finite',
  INVALID_TIMESTAMP: 'timestamp is neither ISO 8601 nor epoch milliseconds',
  TIMESTAMP_IN_FUTURE: 'timestamp is more than 5 minutes ahead of the server clock',
  VIN_MISMATCH: "the body's vin names another vehicle than the device token's",
  UNKNOWN_VEHICLE: 'the vehicle is not (or no longer) in the fleet',
  OVERLOADED: 'the reading could not be queued; send it again later',
} as const

// A bad character in one reading rejects that reading (by index), not the batch.
export const IntakeBodySchema = checksOwnCharacters(
  z
    .union([z.array(z.unknown()), z.record(z.string(), z.unknown())])
    .describe(
      'One reading or an array of up to 1,000. A reading has the `Reading` signals by their canonical ' +
        'names and `timestamp` (ISO 8601 or epoch milliseconds); `vin` is optional (the token names the ' +
        'vehicle) and, when given, must be that vehicle.',
    ),
)

export const ReadingRejectionSchema = z.object({
  index: z.number().int().describe('position in the request (0 for a single reading)'),
  code: z.string().describe(
    Object.entries(READING_REJECTION_CODES)
      .map(([c, m]) => `${c}: ${m}`)
      .join('; '),
  ),
  field: z.string().optional(),
  message: z.string(),
})

export const IntakeResultSchema = z
  .object({
    accepted: z.number().int().describe('new readings, stored'),
    duplicates: z.number().int().describe('readings whose (vehicle, timestamp) was already stored'),
    rejected: z.array(ReadingRejectionSchema),
  })
  .meta({ id: 'IntakeResult' })

export type ReadingRejection = z.infer<typeof ReadingRejectionSchema>
export type IntakeResult = z.infer<typeof IntakeResultSchema>
