import { useEffect, useState } from 'preact/hooks'
import { forRole } from '../../../../src/schemas/booking-rules.js'
import { BookingActions, StatusPill } from '../../components/booking-actions'
import { ListStates } from '../../components/states'
import { priorityOf } from '../../lib/alarm-filters'
import { api, query } from '../../lib/api'
import { dayRange, severityClass } from '../../lib/format'
import { useAsync, useSocketMessage } from '../../lib/hooks'
import { linkClick } from '../../lib/router'
import type { Booking, ServiceCenter } from '../../lib/types'

const QUEUE_STATUSES = ['PENDING', 'CONFIRMED'] as const

/** Whether a booking that arrived live belongs under the current filters. */
export function matchesFilter(b: Booking, centre: string, day: string): boolean {
  if (centre && b.service_center_id !== centre) return false
  const range = day ? dayRange(day) : null
  if (range) {
    const t = Date.parse(b.appointment_time)
    if (t < Date.parse(range.from) || t >= Date.parse(range.to)) return false
  }
  return true
}

/** Priority first (P1 = a Critical alarm), then the soonest: the order the desk works in. */
export function byPriority(list: Booking[]): Booking[] {
  return [...list].sort(
    (a, b) =>
      priorityOf(a.anomaly_severity) - priorityOf(b.anomaly_severity) ||
      Date.parse(a.appointment_time) - Date.parse(b.appointment_time),
  )
}

function sortByTime(list: Booking[]): Booking[] {
  return [...list].sort((a, b) => Date.parse(a.appointment_time) - Date.parse(b.appointment_time))
}

/** Pending and confirmed appointments, soonest first, with the moves the state machine allows. */
export function BookingQueue() {
  const [centre, setCentre] = useState('')
  const [day, setDay] = useState('')
  const [order, setOrder] = useState<'time' | 'priority'>('time')
  const [fresh, setFresh] = useState<Set<string>>(new Set())
  const centres = useAsync((signal) => api<ServiceCenter[]>('/api/service-centers', { signal }), [])
  const bookings = useAsync(
    (signal) => {
      const range = day ? dayRange(day) : null
      const q = query({
        status: QUEUE_STATUSES.join(','),
        service_center_id: centre || undefined,
        from: range?.from,
        to: range?.to,
      })
      return api<Booking[]>(`/api/bookings${q}`, { signal })
    },
    [centre, day],
  )

  const replace = (b: Booking) => bookings.setData((list) => (list ?? []).map((x) => (x.id === b.id ? b : x)))

  useSocketMessage('booking', (pushed) => {
    const b = forRole(pushed, 'service')
    const known = bookings.data?.some((x) => x.id === b.id)
    if (known) {
      // Kept in the list after it leaves the queue, greyed out, so the desk sees what just happened.
      replace(b)
      return
    }
    if (!QUEUE_STATUSES.includes(b.status as (typeof QUEUE_STATUSES)[number])) return
    if (!matchesFilter(b, centre, day)) return
    bookings.setData((list) => sortByTime([...(list ?? []), b]))
    setFresh((s) => new Set(s).add(b.id))
  })

  // An escalated (or resolved) episode changes its bookings' severity and priority here at once.
  const reSeverity = (episode: string, severity: Booking['anomaly_severity']) =>
    bookings.setData((list) =>
      list?.map((b) => (b.anomaly_event_id === episode ? { ...b, anomaly_severity: severity } : b)),
    )
  useSocketMessage('alert', (a) => reSeverity(a.anomaly_event_id, a.severity))
  useSocketMessage('alarm', (n) => reSeverity(n.id, n.severity))

  // The "new" highlight fades after a while.
  useEffect(() => {
    if (fresh.size === 0) return
    const id = setTimeout(() => setFresh(new Set()), 15_000)
    return () => clearTimeout(id)
  }, [fresh])

  return (
    <section class="card" aria-labelledby="queue-title">
      <div class="card-head">
        <h2 id="queue-title">Appointment queue</h2>
        <button type="button" class="btn btn-ghost btn-small" onClick={bookings.reload}>
          Refresh
        </button>
      </div>
      <div class="filters">
        <label class="field field-inline">
          <span>Centre</span>
          <select class="input" value={centre} onChange={(e) => setCentre(e.currentTarget.value)}>
            <option value="">All centres</option>
            {(centres.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.city})
              </option>
            ))}
          </select>
        </label>
        <label class="field field-inline">
          <span>Day</span>
          <input class="input" type="date" value={day} onInput={(e) => setDay(e.currentTarget.value)} />
        </label>
        {day && (
          <button type="button" class="btn btn-ghost btn-small" onClick={() => setDay('')}>
            Any day
          </button>
        )}
        <label class="field field-inline">
          <span>Order</span>
          <select
            class="input"
            value={order}
            onChange={(e) => setOrder(e.currentTarget.value as 'time' | 'priority')}
          >
            <option value="time">Soonest first</option>
            <option value="priority">Priority, then soonest</option>
          </select>
        </label>
      </div>
      {centres.error && (
        <p class="inline-error">Service centres could not be loaded: {centres.error.message}</p>
      )}
      <ListStates
        state={{
          ...bookings,
          data: bookings.data && (order === 'priority' ? byPriority(bookings.data) : bookings.data),
        }}
        empty="No pending or confirmed appointments for these filters."
      >
        {(items) => (
          <ul class="queue" data-testid="booking-queue">
            {items.map((b) => {
              const done = !QUEUE_STATUSES.includes(b.status as (typeof QUEUE_STATUSES)[number])
              return (
                <li
                  key={b.id}
                  class={`queue-row${fresh.has(b.id) ? ' is-new' : ''}${done ? ' is-done' : ''}`}
                  data-booking-id={b.id}
                  data-status={b.status}
                >
                  <div class="queue-when">
                    <strong>{b.appointment_label}</strong>
                    <span class="muted small">
                      {b.service_center_name}
                      {b.bay ? ` · bay ${b.bay}` : ''}
                    </span>
                  </div>
                  <div class="queue-what">
                    <a
                      href={`/dashboard/service/vehicle/${encodeURIComponent(b.vin)}`}
                      onClick={(e) => linkClick(e, `/dashboard/service/vehicle/${encodeURIComponent(b.vin)}`)}
                    >
                      {b.vehicle_model} · {b.vin}
                    </a>
                    <span class="small" data-testid="owner-contact">
                      {b.owner_name} · <a href={`mailto:${b.owner_email}`}>{b.owner_email}</a>
                    </span>
                    {b.customer_notes && <span class="muted small">{b.customer_notes}</span>}
                    {b.service_notes && <span class="small">Done: {b.service_notes}</span>}
                  </div>
                  <div class="queue-status">
                    <span
                      class="pill pill-priority"
                      data-testid="priority"
                      title="Priority from the alarm's severity"
                    >
                      P{priorityOf(b.anomaly_severity)}
                    </span>
                    {b.anomaly_severity ? (
                      <span class={severityClass(b.anomaly_severity)}>{b.anomaly_severity}</span>
                    ) : (
                      <span class="small muted">no alarm</span>
                    )}
                    <StatusPill status={b.status} />
                    {fresh.has(b.id) && <span class="pill pill-new">new</span>}
                  </div>
                  <BookingActions booking={b} onChanged={replace} />
                </li>
              )
            })}
          </ul>
        )}
      </ListStates>
    </section>
  )
}
