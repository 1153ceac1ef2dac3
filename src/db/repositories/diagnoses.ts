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
    /**
     * The spec's `create_diagnosis(anomaly_event_id, diagnosis_text, confidence)`. One per episode
     * and severity: a repeated run gets the diagnosis it made the first time.
     */
    async createDiagnosis(
      anomalyEventId: string,
      diagnosisText: string,
      confidence: number,
      details: DiagnosisDetails = {},
    ): Promise<Diagnosis> {
      const created = await db
        .insertInto('diagnoses')
        .values({
          anomaly_event_id: anomalyEventId,
          diagnosis_text: diagnosisText,
          confidence_score: confidence,
          severity: details.severity ?? null,
          component: details.component ?? null,
          recommended_action: details.recommendedAction ?? null,
        })
        .onConflict((oc) => oc.columns(['anomaly_event_id', 'severity']).doNothing())
        .returningAll()
        .executeTakeFirst()
      if (created) return created
      let existing = db.selectFrom('diagnoses').selectAll().where('anomaly_event_id', '=', anomalyEventId)
      existing = details.severity
        ? existing.where('severity', '=', details.severity)
        : existing.where('severity', 'is', null)
      return existing.executeTakeFirstOrThrow()
    },

    /** Of these episodes, the ones with no diagnosis yet (their run was cut short). */
    async undiagnosed(anomalyEventIds: readonly string[]): Promise<Set<string>> {
      if (anomalyEventIds.length === 0) return new Set()
      const done = await db
        .selectFrom('diagnoses')
        .select('anomaly_event_id')
        .distinct()
        .where('anomaly_event_id', 'in', anomalyEventIds)
        .execute()
      const diagnosed = new Set(done.map((d) => d.anomaly_event_id))
      return new Set(anomalyEventIds.filter((id) => !diagnosed.has(id)))
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
