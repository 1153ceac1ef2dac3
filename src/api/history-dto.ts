import type { FastifyInstance } from 'fastify'
import type { z } from 'zod'
import type { AlarmRow } from '../db/repositories/history.js'
import type { Role } from '../domain.js'
import { toBookingDto } from '../schemas/booking-dto.js'
import { iso, isoOrNull } from '../schemas/common.js'
import { storyOf } from '../schemas/episode-story.js'
import type { AlarmSchema } from '../schemas/history.js'

export type AlarmDto = z.infer<typeof AlarmSchema>

/**
 * Joins events with their diagnoses and bookings: two queries for a whole page, whatever its
 * size, instead of two per event.
 */
export async function toAlarmDtos(app: FastifyInstance, rows: AlarmRow[], role: Role): Promise<AlarmDto[]> {
  const ids = rows.map((r) => r.id)
  const [diagnoses, bookings] = await Promise.all([
    app.services.repos.history.diagnosesFor(ids),
    app.services.repos.bookings.listVisible(undefined, { anomalyEventIds: ids, limit: 1000 }),
  ])
  return rows.map((r) => {
    const story = storyOf(r, diagnoses.get(r.id)?.[0])
    return {
      id: r.id,
      vin: r.vin,
      vehicle_model: r.vehicle_model,
      batch: r.batch,
      flapping: r.flapping,
      assigned_to: r.assigned_to ? { id: r.assigned_to, name: r.assigned_name ?? '' } : null,
      acknowledged_by: r.acknowledged_by
        ? { id: r.acknowledged_by, name: r.acknowledged_by_name ?? '' }
        : null,
      acknowledged_note: r.acknowledged_note,
      detected_at: iso(r.detected_at),
      last_seen_at: iso(r.last_seen_at),
      anomaly_type: r.anomaly_type,
      status: r.status,
      reason: r.reason,
      rul_prediction: r.rul_prediction,
      ...story,
      owner_declined_at: isoOrNull(r.owner_declined_at),
      owner_declined_severity: r.owner_declined_severity,
      occurrences: r.occurrences,
      signals: r.signals as AlarmDto['signals'],
      peak_values: r.peak_values,
      sensor_snapshot: r.sensor_snapshot,
      acknowledged_at: isoOrNull(r.acknowledged_at),
      resolved_at: isoOrNull(r.resolved_at),
      resolution: r.resolution,
      diagnoses: (diagnoses.get(r.id) ?? []).map((d) => ({
        id: d.id,
        diagnosis_text: d.diagnosis_text,
        confidence_score: d.confidence_score,
        severity: d.severity,
        component: d.component,
        recommended_action: d.recommended_action,
        created_at: iso(d.created_at),
      })),
      bookings: bookings.filter((b) => b.anomaly_event_id === r.id).map((b) => toBookingDto(b, role)),
    }
  })
}
