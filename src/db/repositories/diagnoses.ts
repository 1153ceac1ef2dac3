import type { Severity } from '../../domain.js'
import type { Db } from '../client.js'
import type { Diagnosis } from '../schema.js'

export interface DiagnosisDetails {
  severity?: Severity | null
  component?: string | null
  recommendedAction?: string | null
}

export function diagnosesRepository(db: Db) {
  return {
    /** The spec's `create_diagnosis(anomaly_event_id, diagnosis_text, confidence)`. */
    createDiagnosis(
      anomalyEventId: string,
      diagnosisText: string,
      confidence: number,
      details: DiagnosisDetails = {},
    ): Promise<Diagnosis> {
      return db
        .insertInto('diagnoses')
        .values({
          anomaly_event_id: anomalyEventId,
          diagnosis_text: diagnosisText,
          confidence_score: confidence,
          severity: details.severity ?? null,
          component: details.component ?? null,
          recommended_action: details.recommendedAction ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
    },

    listForEvent(anomalyEventId: string): Promise<Diagnosis[]> {
      return db
        .selectFrom('diagnoses')
        .selectAll()
        .where('anomaly_event_id', '=', anomalyEventId)
        .orderBy('created_at', 'desc')
        .execute()
    },
  }
}

export type DiagnosesRepository = ReturnType<typeof diagnosesRepository>
