import { sql } from 'kysely'
import type { Db } from '../client.js'

/** A vehicle's alarms, newest first, as far back as the timeline reaches. */
const EPISODES = 50

/**
 * The rows a vehicle's timeline is made of: its alarms (opened, resolved), their activity
 * (escalated, acknowledged, assigned), diagnoses, the agent's messages to the owner, and its
 * bookings (made, completed, cancelled), each with the name of the person who acted where a
 * person did. Staff only: the caller checks the role.
 */
export function timelineRepository(db: Db) {
  return {
    async forVehicle(vehicleId: string) {
      const events = await db
        .selectFrom('anomaly_events as e')
        .leftJoin('users as ak', 'ak.id', 'e.acknowledged_by')
        .select([
          'e.id',
          'e.anomaly_type',
          'e.severity',
          'e.detected_at',
          'e.reason',
          'e.signals',
          'e.status',
          'e.resolved_at',
          'e.resolution',
          'e.acknowledged_at',
          'e.acknowledged_note',
          'ak.name as acknowledged_by_name',
        ])
        .where('e.vehicle_id', '=', vehicleId)
        .orderBy('e.detected_at', 'desc')
        .limit(EPISODES)
        .execute()
      const ids = events.map((e) => e.id)
      if (ids.length === 0) return { events, activity: [], diagnoses: [], messages: [], bookings: [] }
      const [activity, diagnoses, messages, bookings] = await Promise.all([
        db
          .selectFrom('alarm_activity as a')
          .leftJoin('users as u', 'u.id', 'a.user_id')
          .leftJoin('users as to', (j) => j.on(sql<boolean>`"to".id::text = a.details->>'assignee'`))
          .select(['a.anomaly_event_id', 'a.kind', 'a.note', 'a.details', 'a.at', 'u.name as user_name'])
          .select('to.name as assignee_name')
          .where('a.anomaly_event_id', 'in', ids)
          .execute(),
        db
          .selectFrom('diagnoses')
          .select(['anomaly_event_id', 'diagnosis_text', 'severity', 'component', 'created_at'])
          .where('anomaly_event_id', 'in', ids)
          .execute(),
        db
          .selectFrom('chat_messages')
          .select(['anomaly_event_id', 'content', 'created_at'])
          .where('vehicle_id', '=', vehicleId)
          .where('sender', '=', 'agent')
          .where('anomaly_event_id', 'in', ids)
          .execute(),
        db
          .selectFrom('service_bookings as b')
          .innerJoin('service_centers as c', 'c.id', 'b.service_center_id')
          .leftJoin('users as cb', 'cb.id', 'b.created_by')
          .leftJoin('users as done', 'done.id', 'b.completed_by')
          .select([
            'b.id',
            'b.anomaly_event_id',
            'b.status',
            'b.source',
            'b.appointment_time',
            'b.created_at',
            'b.updated_at',
            'b.completed_at',
            'b.service_notes',
            'c.name as center_name',
            'c.timezone as center_timezone',
            'cb.name as created_by_name',
            'done.name as completed_by_name',
          ])
          .where('b.vehicle_id', '=', vehicleId)
          .where((eb) => eb.or([eb('b.anomaly_event_id', 'in', ids), eb('b.anomaly_event_id', 'is', null)]))
          .orderBy('b.created_at', 'desc')
          .limit(200)
          .execute(),
      ])
      return { events, activity, diagnoses, messages, bookings }
    },
  }
}

export type TimelineRepository = ReturnType<typeof timelineRepository>
export type TimelineRows = Awaited<ReturnType<TimelineRepository['forVehicle']>>
