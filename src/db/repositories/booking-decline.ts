import { sql } from 'kysely'
import type { Severity } from '../../domain.js'
import { slotAtCentre } from '../../lib/zoned-time.js'
import { type Db, json } from '../client.js'
import type { ServiceBooking } from '../schema.js'

/**
 * The owner declined the service proposed for an alarm: the row says when and at which severity
 * (they are asked again only above it), and the alarm's activity says so for staff.
 */
export async function recordDecline(trx: Db, booking: ServiceBooking, userId: string | null): Promise<void> {
  const alarm = await trx
    .updateTable('anomaly_events')
    .set({ owner_declined_at: sql<Date>`now()`, owner_declined_severity: sql<Severity>`severity` })
    .where('id', '=', booking.anomaly_event_id!)
    .where('status', '<>', 'RESOLVED')
    .returning(['id', 'severity'])
    .executeTakeFirst()
  if (!alarm) return
  const centre = await trx
    .selectFrom('service_centers')
    .select(['name', 'timezone'])
    .where('id', '=', booking.service_center_id)
    .executeTakeFirst()
  const slot = centre ? slotAtCentre(booking.appointment_time, centre.timezone, centre.name) : null
  await trx
    .insertInto('alarm_activity')
    .values({
      anomaly_event_id: alarm.id,
      kind: 'declined',
      user_id: userId,
      details: json({ severity: alarm.severity, booking_id: booking.id, slot }),
    })
    .execute()
}
