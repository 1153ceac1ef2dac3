import { ListStates } from '../../components/states'
import { api } from '../../lib/api'
import { formatDateTime, humanize, severityClass } from '../../lib/format'
import { useAsync } from '../../lib/hooks'
import { linkClick } from '../../lib/router'
import type { HistoryEvent, Page, Vehicle } from '../../lib/types'

const HOME = '/dashboard/manufacturing'

/** Where an affected VIN leads: the vehicle, its batch, and every failure episode with its diagnosis. */
export function VehicleFailures({ vin }: { vin: string }) {
  const vehicle = useAsync(
    (signal) => api<Vehicle>(`/api/vehicles/${encodeURIComponent(vin)}`, { signal }),
    [vin],
  )
  const history = useAsync(
    (signal) =>
      api<Page<HistoryEvent>>(`/api/vehicles/${encodeURIComponent(vin)}/history?limit=100`, { signal }),
    [vin],
  )
  const v = vehicle.data
  return (
    <section class="card" aria-labelledby="vehicle-title" data-testid="vehicle-failures">
      <a class="back" href={HOME} onClick={(e) => linkClick(e, HOME)}>
        ← Quality insights
      </a>
      <p class="eyebrow">{v ? `${v.model} · batch ${v.batch ?? 'unknown'}` : 'Vehicle'}</p>
      <h2 id="vehicle-title">
        <code>{vin}</code>
      </h2>
      {vehicle.error && <p class="inline-error">{vehicle.error.message}</p>}
      <ListStates state={{ ...history, data: history.data?.items }} empty="No failure episodes recorded.">
        {(items) => (
          <div class="table-scroll">
            <table class="table compact">
              <caption class="small muted">Failure episodes, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Detected</th>
                  <th scope="col">Failure</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Status</th>
                  <th scope="col">Diagnosis</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td class="nowrap">{formatDateTime(e.detected_at)}</td>
                    <td>{humanize(e.anomaly_type)}</td>
                    <td>
                      <span class={severityClass(e.severity)}>{e.severity}</span>
                    </td>
                    <td>{humanize(e.status.toLowerCase())}</td>
                    <td>{e.diagnoses[0]?.diagnosis_text ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListStates>
    </section>
  )
}
