import { useState } from 'preact/hooks'
import { StatusPill } from '../../components/booking-actions'
import { api } from '../../lib/api'
import { formatDateTime, humanize, severityClass } from '../../lib/format'
import { linkClick } from '../../lib/router'
import { loadSession } from '../../lib/session'
import type { Alarm } from '../../lib/types'
import { VehicleTimeline } from './vehicle-timeline'

/** One alarm of the console: what, where, how long; acknowledge with a note, assign, its timeline. */
export function AlarmRow({
  alarm: a,
  headline,
  age,
  vehicleHref,
  onChanged,
}: {
  alarm: Alarm
  headline: string
  age: string
  vehicleHref?: (vin: string) => string
  onChanged: (a: Alarm) => void
}) {
  const me = loadSession()?.user.id
  const [acking, setAcking] = useState(false)
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [open, setOpen] = useState(false)

  const call = async (path: string, body: unknown) => {
    setBusy(true)
    setError(null)
    try {
      onChanged(await api<Alarm>(`/api/alarms/${a.id}/${path}`, { method: 'POST', body }))
      setAcking(false)
      setNote('')
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const href = vehicleHref?.(a.vin)
  const noteId = `ack-note-${a.id}`
  return (
    <li
      class={`alarm-row alarm-${a.severity.toLowerCase()}`}
      data-alarm-id={a.id}
      data-status={a.status}
      data-severity={a.severity}
    >
      <div class="alarm-main">
        <div class="alarm-title">
          <span class={severityClass(a.severity)}>{a.severity}</span>
          <strong>{headline}</strong>
          <StatusPill status={a.status} />
          {a.flapping && <span class="pill pill-pending">flapping</span>}
        </div>
        <div class="small">
          {href ? (
            <a href={href} onClick={(e) => linkClick(e, href)}>
              {a.vehicle_model} · {a.vin}
            </a>
          ) : (
            <span>
              {a.vehicle_model} · {a.vin}
            </span>
          )}{' '}
          · {humanize(a.anomaly_type)} · detected {formatDateTime(a.detected_at)} ·{' '}
          {a.status === 'RESOLVED' ? 'lasted' : 'open for'} <span data-testid="alarm-age">{age}</span>
        </div>
        <div class="small muted">
          {a.assigned_to ? `Assigned to ${a.assigned_to.name}` : 'Unassigned'}
          {a.acknowledged_by && ` · acknowledged by ${a.acknowledged_by.name}`}
          {a.acknowledged_note && <span class="alarm-note"> · “{a.acknowledged_note}”</span>}
        </div>
      </div>
      <div class="row-actions">
        {a.status === 'OPEN' && !acking && (
          <button type="button" class="btn btn-small btn-primary" onClick={() => setAcking(true)}>
            Acknowledge
          </button>
        )}
        {a.status !== 'RESOLVED' && me && (
          <button
            type="button"
            class="btn btn-small"
            disabled={busy}
            onClick={() => call('assign', { assignee_id: a.assigned_to?.id === me ? null : me })}
          >
            {a.assigned_to?.id === me ? 'Unassign me' : 'Assign to me'}
          </button>
        )}
        <button
          type="button"
          class="btn btn-small btn-ghost"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          {open ? 'Hide timeline' : 'Timeline'}
        </button>
      </div>
      {acking && (
        <form
          class="ack-form"
          onSubmit={(e) => {
            e.preventDefault()
            void call('ack', note.trim() ? { note: note.trim() } : {})
          }}
        >
          <label for={noteId}>Note (what you found or did; optional)</label>
          <textarea
            id={noteId}
            class="input"
            rows={2}
            maxLength={2000}
            value={note}
            onInput={(e) => setNote(e.currentTarget.value)}
          />
          <div class="row-actions">
            <button type="submit" class="btn btn-small btn-primary" disabled={busy}>
              {busy ? 'Saving…' : 'Confirm acknowledge'}
            </button>
            <button type="button" class="btn btn-small btn-ghost" onClick={() => setAcking(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {error && (
        <p class="inline-error" role="alert">
          {error}
        </p>
      )}
      {open && (
        <div class="alarm-timeline">
          <VehicleTimeline vin={a.vin} alarmId={a.id} />
        </div>
      )}
    </li>
  )
}
