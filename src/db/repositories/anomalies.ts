import type { Db } from '../client.js'
import { json } from '../client.js'
import type { AnomalyEvent, Severity } from '../schema.js'

export interface NewAnomalyDetails {
  detectedAt?: Date | string
  reason?: string | null
  signals?: unknown[]
  rulPrediction?: number | null
  peakValues?: Record<string, number>
}

export function anomaliesRepository(db: Db) {
  return {
    /** The spec's `create_anomaly_event(vehicle_id, anomaly_type, severity, snapshot)`. */
    createAnomalyEvent(
      vehicleId: string,
      anomalyType: string,
      severity: Severity,
      snapshot: Record<string, unknown>,
      details: NewAnomalyDetails = {},
    ): Promise<AnomalyEvent> {
      return db
        .insertInto('anomaly_events')
        .values({
          vehicle_id: vehicleId,
          anomaly_type: anomalyType,
          severity,
          sensor_snapshot: json(snapshot),
          reason: details.reason ?? null,
          signals: json(details.signals ?? []),
          peak_values: json(details.peakValues ?? {}),
          rul_prediction: details.rulPrediction ?? null,
          ...(details.detectedAt
            ? { detected_at: details.detectedAt, last_seen_at: details.detectedAt }
            : {}),
        })
        .returningAll()
        .executeTakeFirstOrThrow()
    },

    getAnomalyEvent(id: string): Promise<AnomalyEvent | undefined> {
      return db.selectFrom('anomaly_events').selectAll().where('id', '=', id).executeTakeFirst()
    },

    /** The unresolved episode of this type for the vehicle, if any (at most one, by index). */
    findOpenEpisode(vehicleId: string, anomalyType: string): Promise<AnomalyEvent | undefined> {
      return db
        .selectFrom('anomaly_events')
        .selectAll()
        .where('vehicle_id', '=', vehicleId)
        .where('anomaly_type', '=', anomalyType)
        .where('status', '<>', 'RESOLVED')
        .executeTakeFirst()
    },

    listForVehicle(vehicleId: string): Promise<AnomalyEvent[]> {
      return db
        .selectFrom('anomaly_events')
        .selectAll()
        .where('vehicle_id', '=', vehicleId)
        .orderBy('detected_at', 'desc')
        .execute()
    },
  }
}

export type AnomaliesRepository = ReturnType<typeof anomaliesRepository>
