import { useState } from 'preact/hooks'
import { ErrorState, Loading } from '../../components/states'
import { api } from '../../lib/api'
import { formatDateTime, formatNumber } from '../../lib/format'
import { useAsync } from '../../lib/hooks'
import type { ServiceCenter } from '../../lib/types'

/**
 * GET /api/service-centers/{id}/forecast: expected service demand per local day (the server's
 * DemandForecastSchema; it also sends the booking share and open episodes, unused here).
 */
export interface DemandForecast {
  center_id: string
  generated_at: string
  timezone: string
  days: Array<{
    date: string
    expected: number
    /** The 80 % interval of visits. */
    expected_low: number
    expected_high: number
    /** Confirmed bookings; pending proposals count in `expected` at the booking share. */
    booked: number
    pending?: number
    capacity: number
    /** expected > capacity; `at_risk`: expected_high > capacity. */
    overloaded: boolean
    at_risk?: boolean
  }>
  warnings: string[]
}

function ForecastTable({ centerId }: { centerId: string }) {
  const forecast = useAsync(
    (signal) =>
      api<DemandForecast>(`/api/service-centers/${encodeURIComponent(centerId)}/forecast`, { signal }),
    [centerId],
  )
  if (forecast.error?.status === 404 && forecast.error.code === 'ROUTE_NOT_FOUND') {
    return <p class="small muted">This server does not forecast demand yet.</p>
  }
  if (forecast.error) return <ErrorState error={forecast.error} onRetry={forecast.reload} />
  const f = forecast.data
  if (!f) return <Loading label="Forecasting…" />
  const max = Math.max(1, ...f.days.map((d) => Math.max(d.expected_high, d.capacity)))
  return (
    <>
      {f.warnings.length > 0 && (
        <ul class="inline-error small" data-testid="forecast-warnings">
          {f.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <div class="table-scroll">
        <table class="table compact forecast" data-testid="forecast-table">
          <caption class="small muted">
            Services per day ({f.timezone}), forecast {formatDateTime(f.generated_at)}
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Expected (range)</th>
              <th scope="col">Booked</th>
              <th scope="col">Capacity</th>
              <th scope="col">Load</th>
            </tr>
          </thead>
          <tbody>
            {f.days.map((d) => (
              <tr key={d.date} data-date={d.date} data-overloaded={d.overloaded ? 'true' : 'false'}>
                <th scope="row" class="nowrap">
                  {d.date}
                </th>
                <td>
                  {formatNumber(d.expected, 1)}{' '}
                  <span class="muted">
                    ({formatNumber(d.expected_low, 1)}–{formatNumber(d.expected_high, 1)})
                  </span>
                </td>
                <td>{d.booked}</td>
                <td>{d.capacity}</td>
                <td>
                  <span
                    class="rate-bar"
                    style={{ width: `${(Math.max(d.expected, d.booked) / max) * 100}%` }}
                    aria-hidden="true"
                  />
                  {d.overloaded ? (
                    <span class="pill pill-blocked">over capacity</span>
                  ) : (
                    <span class="muted">ok</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}

/** Expected service demand per centre and day against its capacity: where bookings will pile up. */
export function ForecastView() {
  const centers = useAsync((signal) => api<ServiceCenter[]>('/api/service-centers', { signal }), [])
  const [centerId, setCenterId] = useState('')
  return (
    <section class="card" aria-labelledby="forecast-title" data-testid="forecast">
      <div class="card-head">
        <h2 id="forecast-title">Service demand forecast</h2>
        <label class="field-inline">
          <span>Centre</span>
          <select class="input" value={centerId} onChange={(e) => setCenterId(e.currentTarget.value)}>
            <option value="">choose…</option>
            {(centers.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {centers.error && <ErrorState error={centers.error} onRetry={centers.reload} />}
      {centerId ? (
        <ForecastTable centerId={centerId} />
      ) : (
        <p class="small muted">Choose a service centre to see its expected demand against its bays.</p>
      )}
    </section>
  )
}
