import { z } from 'zod'
import type { TimelineRows } from '../db/repositories/timeline.js'
import { SeveritySchema } from '../domain.js'
import { alertHeadline, type HeadlineSignal } from '../lib/alert-headline.js'
import { slotAtCentre } from '../lib/zoned-time.js'
import { iso } from './common.js'

export const TIMELINE_KINDS = [
  'opened',
  'escalated',
  'declined',
  'acknowledged',
  'assigned',
  'unassigned',
  'diagnosed',
  'messaged',
  'booked',
  'cancelled',
  'serviced',
  'resolved',
] as const

export const TimelineEntrySchema = z.object({
  at: z.string(),
  kind: z.enum(TIMELINE_KINDS),
  alarm_id: z.uuid().nullable(),
  anomaly_type: z.string().nullable(),
  severity: SeveritySchema.nullable(),
  summary: z.string().describe('what happened, in plain words'),
  note: z.string().nullable().describe('what the person wrote (an acknowledgement, the service notes)'),
  actor: z.object({
    kind: z.enum(['agent', 'user', 'owner', 'system']),
    name: z.string(),
  }),
})

export const TimelineSchema = z
  .object({ vin: z.string(), entries: z.array(TimelineEntrySchema).describe('oldest first') })
  .meta({ id: 'VehicleTimeline' })

export type TimelineEntry = z.infer<typeof TimelineEntrySchema>

const AGENT = {
  analysis: { kind: 'agent', name: 'Data analysis agent' },
  diagnosis: { kind: 'agent', name: 'Diagnosis agent' },
  engagement: { kind: 'agent', name: 'Customer engagement agent' },
  scheduling: { kind: 'agent', name: 'Scheduling agent' },
} as const
const SYSTEM = { kind: 'system', name: 'Autonoma' } as const

const RESOLVED_BY: Record<string, string> = {
  recovered: 'Readings back to normal',
  serviced: 'Closed by the completed service',
  manual: 'Closed by hand',
}

const staff = (name: string | null) => ({ kind: 'user' as const, name: name || 'A staff member' })
const clip = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** The timeline's rows as entries, oldest first (ties keep the order the steps happen in). */
export function toTimeline(vin: string, rows: TimelineRows): { vin: string; entries: TimelineEntry[] } {
  const byId = new Map(rows.events.map((e) => [e.id, e]))
  const about = (id: string | null) => {
    const e = id ? byId.get(id) : undefined
    return { alarm_id: e?.id ?? null, anomaly_type: e?.anomaly_type ?? null, severity: e?.severity ?? null }
  }
  const entries: TimelineEntry[] = []
  const acked = new Set(rows.activity.filter((a) => a.kind === 'acknowledged').map((a) => a.anomaly_event_id))
  for (const e of rows.events) {
    const ref = about(e.id)
    entries.push({
      at: iso(e.detected_at),
      kind: 'opened',
      ...ref,
      // The owner's words, as the alert said them; the detector's account is the note.
      summary: alertHeadline(e.anomaly_type, (e.signals ?? []) as HeadlineSignal[]),
      note: e.reason ? clip(e.reason) : null,
      actor: AGENT.analysis,
    })
    // Acknowledged before the activity log existed: the row still says by whom.
    if (e.acknowledged_at && !acked.has(e.id)) {
      entries.push({
        at: iso(e.acknowledged_at),
        kind: 'acknowledged',
        ...ref,
        summary: 'Acknowledged',
        note: e.acknowledged_note,
        actor: staff(e.acknowledged_by_name),
      })
    }
    if (e.resolved_at) {
      entries.push({
        at: iso(e.resolved_at),
        kind: 'resolved',
        ...ref,
        summary: RESOLVED_BY[e.resolution ?? ''] ?? 'Resolved',
        note: null,
        actor: SYSTEM,
      })
    }
  }
  for (const a of rows.activity) {
    const ref = about(a.anomaly_event_id)
    const details = (a.details ?? {}) as { from?: string; to?: string; severity?: string; slot?: string }
    const summary =
      a.kind === 'escalated'
        ? `Escalated from ${details.from ?? '?'} to ${details.to ?? '?'}`
        : a.kind === 'declined'
          ? `The owner declined the proposed service${details.slot ? ` on ${details.slot}` : ''} (at ${details.severity ?? '?'}); asked again only if it escalates`
          : a.kind === 'acknowledged'
            ? 'Acknowledged'
            : a.kind === 'assigned'
              ? `Assigned to ${a.assignee_name ?? 'a staff member'}`
              : 'Assignment taken back'
    entries.push({
      at: iso(a.at),
      kind: a.kind,
      ...ref,
      summary,
      note: a.note,
      actor:
        a.kind === 'escalated'
          ? AGENT.analysis
          : a.kind === 'declined'
            ? { kind: 'owner' as const, name: a.user_name ? `${a.user_name} (owner)` : 'The owner' }
            : staff(a.user_name),
    })
  }
  for (const d of rows.diagnoses) {
    entries.push({
      at: iso(d.created_at),
      kind: 'diagnosed',
      ...about(d.anomaly_event_id),
      summary: clip(d.component ? `${d.component}: ${d.diagnosis_text}` : d.diagnosis_text),
      note: null,
      actor: AGENT.diagnosis,
    })
  }
  for (const m of rows.messages) {
    entries.push({
      at: iso(m.created_at),
      kind: 'messaged',
      ...about(m.anomaly_event_id),
      summary: `Told the owner: ${clip(m.content, 200)}`,
      note: null,
      actor: AGENT.engagement,
    })
  }
  for (const b of rows.bookings) {
    const ref = about(b.anomaly_event_id)
    const when = slotAtCentre(b.appointment_time, b.center_timezone, b.center_name)
    entries.push({
      at: iso(b.created_at),
      kind: 'booked',
      ...ref,
      summary: `Booked ${when}`,
      note: null,
      actor:
        b.source === 'agent'
          ? AGENT.scheduling
          : { kind: 'owner', name: b.created_by_name ? `${b.created_by_name} (owner)` : 'The owner' },
    })
    if (b.status === 'COMPLETED') {
      entries.push({
        at: iso(b.completed_at ?? b.updated_at),
        kind: 'serviced',
        ...ref,
        summary: `Serviced at ${b.center_name}`,
        note: b.service_notes,
        actor: staff(b.completed_by_name),
      })
    } else if (b.status === 'CANCELLED') {
      entries.push({
        at: iso(b.updated_at),
        kind: 'cancelled',
        ...ref,
        summary: `Booking for ${when} cancelled`,
        note: null,
        actor: SYSTEM,
      })
    }
  }
  const order = new Map(TIMELINE_KINDS.map((k, i) => [k, i]))
  entries.sort((x, y) => Date.parse(x.at) - Date.parse(y.at) || order.get(x.kind)! - order.get(y.kind)!)
  return { vin, entries }
}
