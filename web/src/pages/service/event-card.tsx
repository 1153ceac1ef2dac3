import { useMemo, useState } from 'preact/hooks'
import { StatusPill } from '../../components/booking-actions'
import { Loading } from '../../components/states'
import { TimeChart, type TimeSeries } from '../../components/time-chart'
import { api } from '../../lib/api'
import {
  formatDateTime,
  formatMeasure,
  formatPercent,
  formatRul,
  humanize,
  severityClass,
} from '../../lib/format'
import { useAsync } from '../../lib/hooks'
import type { HistoryEvent, Reading } from '../../lib/types'

/** Readings on each side of the event that the chart shows. */
const AROUND = 30

/** The readings around `at`: the API returns the latest ones, so old events may fall outside them. */
export function readingsAround(readings: Reading[], at: number, around = AROUND): Reading[] {
  if (readings.length === 0) return []
  const times = readings.map((r) => Date.parse(r.timestamp))
  const first = times[0]!
  const last = times[times.length - 1]!
  if (at < first || at > last) return []
  let i = times.findIndex((t) => t >= at)
  if (i < 0) i = times.length - 1
  return readings.slice(Math.max(0, i - around), i + around + 1)
}

function EventTelemetry({ vin, event }: { vin: string; event: HistoryEvent }) {
  const telemetry = useAsync(
    (signal) => api<Reading[]>(`/api/vehicles/${encodeURIComponent(vin)}/telemetry?limit=1000`, { signal }),
    [vin],
  )
  const at = Date.parse(event.detected_at)
  const nearby = useMemo(() => readingsAround(telemetry.data ?? [], at), [telemetry.data, at])
  const chart = useMemo(() => {
    const xs = nearby.map((r) => Date.parse(r.timestamp) / 1000)
    const series: TimeSeries[] = [
      {
        label: 'Battery °C',
        color: '#b3261e',
        scale: 'temp',
        values: nearby.map((r) => r.battery_temperature),
      },
      {
        label: 'Motor °C',
        color: '#8a5a00',
        scale: 'temp',
        values: nearby.map((r) => Number(r.motor_temperature)),
      },
      {
        label: 'Vibration g',
        color: '#0b5cad',
        scale: 'vib',
        values: nearby.map((r) => r.motor_vibration),
      },
    ]
    return { xs, series }
  }, [nearby])

  if (telemetry.error)
    return <p class="inline-error">Telemetry could not be loaded: {telemetry.error.message}</p>
  if (!telemetry.data) return <Loading label="Loading telemetry…" />
  if (nearby.length === 0) {
    return (
      <p class="muted small">
        The stored readings no longer reach back to this event; the snapshot below is what the sensors said.
      </p>
    )
  }
  return (
    <div>
      <TimeChart
        xs={chart.xs}
        series={chart.series}
        markerX={at / 1000}
        label={`Battery and motor temperature and vibration around ${formatDateTime(event.detected_at)}`}
      />
      <p class="small muted">The dashed line marks the detection.</p>
    </div>
  )
}

export function EventCard({ vin, event }: { vin: string; event: HistoryEvent }) {
  const [open, setOpen] = useState(false)
  const snapshot = Object.entries(event.sensor_snapshot ?? {}).filter(([, v]) => typeof v === 'number')
  return (
    <article class="event" data-event-id={event.id}>
      <header class="event-head">
        <span class={severityClass(event.severity)}>{event.severity}</span>
        <strong>{humanize(event.anomaly_type)}</strong>
        <StatusPill status={event.status} />
        <span class="muted small">
          {formatDateTime(event.detected_at)}
          {event.occurrences > 1
            ? ` · seen ${event.occurrences}×, last ${formatDateTime(event.last_seen_at)}`
            : ''}
        </span>
      </header>
      {event.reason && <p>{event.reason}</p>}
      <p class="small">Remaining life (re-estimated at each escalation): {formatRul(event)}</p>
      {event.signals.length > 0 && (
        <div class="table-scroll">
          <table class="table compact">
            <caption class="visually-hidden">Signals that triggered the event</caption>
            <thead>
              <tr>
                <th scope="col">Signal</th>
                <th scope="col">Value</th>
                <th scope="col">Threshold / baseline</th>
                <th scope="col">Kind</th>
              </tr>
            </thead>
            <tbody>
              {event.signals.map((s) => (
                <tr key={s.signal}>
                  <td>{humanize(s.signal)}</td>
                  <td>{formatMeasure(s.signal, s.value, 2)}</td>
                  <td>{formatMeasure(s.signal, s.threshold ?? s.baseline, 2)}</td>
                  <td>{s.kind}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h4 class="subhead">Diagnoses</h4>
      {event.diagnoses.length === 0 ? (
        <p class="muted small">No diagnosis recorded for this event.</p>
      ) : (
        <ul class="plain-list">
          {event.diagnoses.map((d) => (
            <li key={d.id}>
              {d.severity && <span class={severityClass(d.severity)}>{d.severity}</span>} {d.diagnosis_text}
              <span class="muted small">
                {' '}
                · confidence {formatPercent(d.confidence_score)}
                {d.component ? ` · ${d.component}` : ''}
              </span>
              {d.recommended_action && <div class="small">Recommended: {d.recommended_action}</div>}
            </li>
          ))}
        </ul>
      )}
      {event.bookings.length > 0 && (
        <p class="small">
          Bookings:{' '}
          {event.bookings.map((b) => (
            <span key={b.id} class="booking-ref">
              <StatusPill status={b.status} /> {b.appointment_label}
            </span>
          ))}
        </p>
      )}
      <button type="button" class="btn btn-small" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide telemetry' : 'Telemetry around this event'}
      </button>
      {open && (
        <div class="event-telemetry">
          <EventTelemetry vin={vin} event={event} />
          {snapshot.length > 0 && (
            <dl class="snapshot">
              {snapshot.map(([k, v]) => (
                <div key={k}>
                  <dt>{humanize(k)}</dt>
                  <dd>{formatMeasure(k, v, 2)}</dd>
                </div>
              ))}
            </dl>
          )}
        </div>
      )}
    </article>
  )
}
