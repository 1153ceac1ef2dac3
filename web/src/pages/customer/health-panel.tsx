import { ListStates } from '../../components/states'
import { api, query } from '../../lib/api'
import { formatDateTime, formatRul, severityClass } from '../../lib/format'
import { useAsync } from '../../lib/hooks'
import type { Alarm, Vehicle } from '../../lib/types'

const STATUS_TEXT = {
  ok: 'Healthy',
  warning: 'Needs attention',
  critical: 'Critical',
  unknown: 'No data yet',
}

export function HealthPanel({ vehicle, refreshKey }: { vehicle: Vehicle; refreshKey: number }) {
  const alarms = useAsync(
    (signal) => api<Alarm[]>(`/api/alarms${query({ status: 'OPEN', vin: vehicle.vin })}`, { signal }),
    [vehicle.vin, refreshKey],
  )
  const h = vehicle.health
  return (
    <section class="card" aria-labelledby="health-title">
      <h2 id="health-title">Vehicle health</h2>
      <div class="health">
        <div class={`health-status health-${h.status}`} data-status={h.status}>
          <span class="health-dot" aria-hidden="true" />
          {STATUS_TEXT[h.status] ?? h.status}
        </div>
        <dl class="facts">
          <div>
            <dt>Remaining useful life</dt>
            <dd>{formatRul(h)}</dd>
          </div>
          <div>
            <dt>Open alarms</dt>
            <dd>{h.open_alarms}</dd>
          </div>
          <div>
            <dt>Last reading</dt>
            <dd>{formatDateTime(vehicle.last_reading_at)}</dd>
          </div>
          <div>
            <dt>Batch</dt>
            <dd>{vehicle.batch}</dd>
          </div>
        </dl>
      </div>
      <h3 class="subhead">Open alarms</h3>
      <ListStates state={alarms} empty="No open alarms. All good.">
        {(items) => (
          <ul class="plain-list">
            {items.map((a) => (
              <li key={a.id}>
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
