import { z } from 'zod'
import { RUL_METHODS } from '../domain.js'
import { formatRul } from '../lib/rul-format.js'

export { formatDuration, formatRul } from '../lib/rul-format.js'

/**
 * An episode's remaining useful life as every surface shows it: the episode (alarm) row holds it,
 * re-estimated at each escalation, and the alert, the alarm API, the vehicle's health and the
 * agents' messages all read it from there, in these words.
 */
export const RulEstimateSchema = z.object({
  rul_days: z.number().min(0).nullable().describe('median estimate, days; null when unknown'),
  rul_low_days: z.number().min(0).nullable().describe('lower bound of the 80 % interval, days'),
  rul_high_days: z.number().min(0).nullable().describe('upper bound of the 80 % interval, days'),
  rul_method: z
    .enum(RUL_METHODS)
    .nullable()
    .describe("'theil-sen' (trend), 'crossed' (past its last limit), 'insufficient-trend' (unknown)"),
  rul_limit: z.number().nullable().describe('the level the estimate counts down to, in the signal unit'),
})
export type RulEstimate = z.infer<typeof RulEstimateSchema>

export const UNKNOWN_RUL: RulEstimate = {
  rul_days: null,
  rul_low_days: null,
  rul_high_days: null,
  rul_method: 'insufficient-trend',
  rul_limit: null,
}

/** The estimate stored on an alarm row (`rul_prediction` is its median). */
export function rulOf(row: {
  rul_prediction: number | null
  rul_low_days: number | null
  rul_high_days: number | null
  rul_method: RulEstimate['rul_method']
  rul_limit: number | null
}): RulEstimate {
  return {
    rul_days: row.rul_prediction,
    rul_low_days: row.rul_low_days,
    rul_high_days: row.rul_high_days,
    rul_method: row.rul_method,
    rul_limit: row.rul_limit,
  }
}

/** The sentence the agents use in alerts and chat replies; '' when the estimate says nothing. */
export function rulSentence(rul: RulEstimate | null | undefined): string {
  if (!rul) return ''
  if (rul.rul_method === 'insufficient-trend' || rul.rul_days === null)
    return 'We cannot yet estimate how long it has left: its readings show no clear trend.'
  if (rul.rul_method === 'crossed') return 'It is already past its limit.'
  return `We estimate ${formatRul(rul)} before it reaches its next limit.`
}
