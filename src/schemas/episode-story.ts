import type { AnomalyEvent, Diagnosis } from '../db/schema.js'
import type { Severity } from '../domain.js'
import { alertHeadline, type HeadlineSignal } from '../lib/alert-headline.js'
import { type RulEstimate, rulOf } from './rul.js'

/**
 * One episode's story as every surface tells it (the alert, the alarm API, the vehicle's health,
 * the history): read from its alarm row and its latest diagnosis only, so when the episode
 * escalates they all change together.
 */
export interface EpisodeStory extends RulEstimate {
  severity: Severity
  /** Plain words for the owner, from the row's signals (the escalating reading's, once escalated). */
  headline: string
  /** The latest diagnosis of the episode; null before it is diagnosed. */
  diagnosis: string | null
  recommended_action: string | null
  /** The earlier, serviced episode of this vehicle and type that this one repeats. */
  repeat_of: string | null
}

type StoryRow = Pick<
  AnomalyEvent,
  | 'anomaly_type'
  | 'severity'
  | 'signals'
  | 'rul_prediction'
  | 'rul_low_days'
  | 'rul_high_days'
  | 'rul_method'
  | 'rul_limit'
  | 'repeat_of'
>

export function headlineOf(row: Pick<AnomalyEvent, 'anomaly_type' | 'signals'>): string {
  const signals = Array.isArray(row.signals) ? (row.signals as HeadlineSignal[]) : []
  return alertHeadline(row.anomaly_type, signals)
}

export function storyOf(
  row: StoryRow,
  latest: Pick<Diagnosis, 'diagnosis_text' | 'recommended_action'> | undefined,
): EpisodeStory {
  return {
    severity: row.severity,
    headline: headlineOf(row),
    diagnosis: latest?.diagnosis_text ?? null,
    recommended_action: latest?.recommended_action ?? null,
    repeat_of: row.repeat_of ?? null,
    ...rulOf(row),
  }
}
