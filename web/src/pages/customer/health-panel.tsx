import { useEffect, useState } from 'preact/hooks'
import { ListStates } from '../../components/states'
import { formatDateTime, formatRul, severityClass } from '../../lib/format'
import { type AsyncState, useSocketMessage } from '../../lib/hooks'
import type { Alarm, Vehicle } from '../../lib/types'

// Never a severity's name: a High alarm beside a card saying "Critical" reads as two stories.
const STATUS_TEXT = {
  ok: 'Healthy',
  warning: 'Needs attention',
  critical: 'Service needed',
  unknown: 'No data yet',
}

/**
 * The vehicle's health from its API row and its open alarms from the same list the banner reads;
 * "Last reading" follows the live stream, not the moment the page loaded.
 */
export function HealthPanel({ vehicle, alarms }: { vehicle: Vehicle; alarms: AsyncState<Alarm[]> }) {
  const [lastReading, setLastReading] = useState(vehicle.last_reading_at)
  useEffect(() => {
    setLastReading((live) =>
      live && vehicle.last_reading_at && live > vehicle.last_reading_at ? live : vehicle.last_reading_at,
    )
  }, [vehicle.vin, vehicle.last_reading_at])
  useSocketMessage('telemetry', (r) => {
    if (r.vin === vehicle.vin) setLastReading((t) => (t && t > r.timestamp ? t : r.timestamp))
  })

  const h = vehicle.health
  const mine = { ...alarms, data: alarms.data?.filter((a) => a.vin === vehicle.vin) }
  return (
    <section class="card" aria-labelledby="health-title" data-testid="health-card">
      <h2 id="health-title">Vehicle health</h2>
      <div class="health">
        <div class={`health-status health-${h.status}`} data-status={h.status}>
          <span class="health-dot" aria-hidden="true" />
          {STATUS_TEXT[h.status] ?? h.status}
        </div>
        <dl class="facts">
          <div>
            <dt>Remaining useful life</dt>
            <dd data-testid="health-rul">
              {h.rul_days === null && h.open_alarms === 0 ? 'No fault open' : formatRul(h)}
            </dd>
          </div>
          <div>
            <dt>Open alarms</dt>
            <dd data-testid="health-open">{h.open_alarms}</dd>
          </div>
          <div>
            <dt>Last reading</dt>
            <dd data-testid="last-reading" data-at={lastReading ?? ''}>
              {formatDateTime(lastReading)}
            </dd>
          </div>
          <div>
            <dt>Batch</dt>
            <dd>{vehicle.batch}</dd>
          </div>
        </dl>
      </div>
      <h3 class="subhead">Open alarms</h3>
      <ListStates state={mine} empty="No open alarms. All good.">
        {(items) => (
          <ul class="plain-list" data-testid="health-alarms">
            {items.map((a) => (
              <li key={a.id} data-alarm-id={a.id} data-severity={a.severity}>
                <span class={severityClass(a.severity)}>{a.severity}</span> {a.reason ?? a.anomaly_type}
                <span class="muted small"> · {formatDateTime(a.detected_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </ListStates>
    </section>
  )
}
