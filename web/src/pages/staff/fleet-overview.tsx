import { ListStates } from '../../components/states'
import { api } from '../../lib/api'
import { formatDateTime, formatRul, severityClass } from '../../lib/format'
import { useAsync, useSocketMessage, useThrottled } from '../../lib/hooks'
import { linkClick, navigate, useLocation } from '../../lib/router'
import type { Vehicle } from '../../lib/types'

const HEALTH_RANK = { critical: 0, warning: 1, unknown: 2, ok: 3 } as const
const HEALTH_LABEL = { critical: 'Critical', warning: 'Warning', unknown: 'No data', ok: 'Healthy' } as const

const SORTS = {
  health: (a: Vehicle, b: Vehicle) =>
    HEALTH_RANK[a.health.status] - HEALTH_RANK[b.health.status] ||
    b.health.open_alarms - a.health.open_alarms,
  alarms: (a: Vehicle, b: Vehicle) => b.health.open_alarms - a.health.open_alarms,
  rul: (a: Vehicle, b: Vehicle) => (a.health.rul_days ?? Infinity) - (b.health.rul_days ?? Infinity),
  seen: (a: Vehicle, b: Vehicle) =>
    Date.parse(a.last_reading_at ?? '0') - Date.parse(b.last_reading_at ?? '0'),
  vin: (a: Vehicle, b: Vehicle) => a.vin.localeCompare(b.vin),
} as const
type SortKey = keyof typeof SORTS

/** Search, health, data-quality filter and sort of the fleet table, read from and written to the URL. */
export function fleetView(vehicles: Vehicle[], q: URLSearchParams): Vehicle[] {
  const text = (q.get('q') ?? '').trim().toLowerCase()
  const health = q.get('health') ?? ''
  const dq = q.get('dq') ?? ''
  const sort = (q.get('sort') ?? 'health') as SortKey
  return vehicles
    .filter((v) => !text || `${v.vin} ${v.model} ${v.batch ?? ''}`.toLowerCase().includes(text))
    .filter((v) => !health || v.health.status === health)
    .filter((v) => !dq || (v.health.data_quality?.status ?? 'ok') === dq)
    .sort(SORTS[sort] ?? SORTS.health)
}

/**
 * Every vehicle with its health, open alarms, remaining life, last reading and data quality; a row
 * opens the vehicle. Refetched (once per burst) when alerts, alarm changes or bookings arrive.
 */
export function FleetOverview({ base, vehicleHref }: { base: string; vehicleHref: (vin: string) => string }) {
  const { query: q } = useLocation()
  const vehicles = useAsync((signal) => api<Vehicle[]>('/api/vehicles', { signal }), [])
  const refresh = useThrottled(vehicles.reload, 2000)
  useSocketMessage('alert', refresh)
  useSocketMessage('alarm', refresh)
  useSocketMessage('booking', refresh)
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(q)
    if (value) next.set(key, value)
    else next.delete(key)
    const s = next.toString()
    navigate(`${base}${s ? `?${s}` : ''}`, { replace: true })
  }
  const sort = q.get('sort') ?? 'health'
  const shown = vehicles.data ? fleetView(vehicles.data, q) : undefined
  const sortButton = (key: SortKey, label: string) => (
    <button
      type="button"
      class="th-sort"
      aria-pressed={sort === key}
      aria-label={`Sort by ${label}`}
      onClick={() => set('sort', key === 'health' ? '' : key)}
    >
      {label}
      {sort === key ? ' ▾' : ''}
    </button>
  )
  return (
    <section class="card" aria-labelledby="fleet-overview-title" data-testid="fleet-overview">
      <h2 id="fleet-overview-title">Fleet</h2>
      <div class="filters">
        <label class="field field-inline">
          <span>Search</span>
          <input
            class="input"
            type="search"
            placeholder="VIN, model or batch"
            value={q.get('q') ?? ''}
            onInput={(e) => set('q', e.currentTarget.value)}
          />
        </label>
        <label class="field field-inline">
          <span>Health</span>
          <select
            class="input"
            value={q.get('health') ?? ''}
            onChange={(e) => set('health', e.currentTarget.value)}
          >
            <option value="">Any</option>
            {(Object.keys(HEALTH_LABEL) as Array<keyof typeof HEALTH_LABEL>).map((h) => (
              <option key={h} value={h}>
                {HEALTH_LABEL[h]}
              </option>
            ))}
          </select>
        </label>
        <label class="field field-inline">
          <span>Data</span>
          <select class="input" value={q.get('dq') ?? ''} onChange={(e) => set('dq', e.currentTarget.value)}>
            <option value="">Any</option>
            <option value="ok">Trusted</option>
            <option value="degraded">Degraded</option>
          </select>
        </label>
      </div>
      <ListStates state={{ ...vehicles, data: shown }} empty="No vehicle matches.">
        {(items) => (
          <div class="table-scroll">
            <table class="table fleet-table">
              <caption class="visually-hidden">Fleet vehicles, {items.length} shown</caption>
              <thead>
                <tr>
                  <th scope="col">{sortButton('vin', 'Vehicle')}</th>
                  <th scope="col">{sortButton('health', 'Health')}</th>
                  <th scope="col">{sortButton('alarms', 'Open alarms')}</th>
                  <th scope="col">{sortButton('rul', 'Remaining life')}</th>
                  <th scope="col">{sortButton('seen', 'Last seen')}</th>
                  <th scope="col">Data</th>
                </tr>
              </thead>
              <tbody>
                {items.map((v) => {
                  const href = vehicleHref(v.vin)
                  const dq = v.health.data_quality
                  return (
                    <tr key={v.vin} data-vin={v.vin} data-health={v.health.status}>
                      <td>
                        <a href={href} onClick={(e) => linkClick(e, href)}>
                          {v.model}
                        </a>
                        <div class="small muted">{v.vin}</div>
                      </td>
                      <td>
                        <span class={`health-text health-${v.health.status}`}>
                          {HEALTH_LABEL[v.health.status]}
                        </span>
                      </td>
                      <td data-testid="open-alarms">
                        {v.health.open_alarms}
                        {v.health.worst_severity && (
                          <>
                            {' '}
                            <span class={severityClass(v.health.worst_severity)}>
                              {v.health.worst_severity}
                            </span>
                          </>
                        )}
                      </td>
                      <td>{v.health.open_alarms > 0 ? formatRul(v.health) : '—'}</td>
                      <td>{formatDateTime(v.last_reading_at)}</td>
                      <td>
                        {dq?.status === 'degraded' ? (
                          <span class="pill pill-cancelled" title={dq.issues.map((i) => i.detail).join('; ')}>
                            degraded: {dq.issues.map((i) => i.kind).join(', ')}
                          </span>
                        ) : (
                          <span class="small">{dq ? 'trusted' : '—'}</span>
                        )}
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        )}
      </ListStates>
    </section>
  )
}
