import { useEffect, useState } from 'preact/hooks'
import { ErrorState, ListStates, Loading } from '../../components/states'
import { TelemetryPanel } from '../../components/telemetry-panel'
import { ApiError, api, query } from '../../lib/api'
import { formatDateTime, formatRul } from '../../lib/format'
import { useAsync, useSocketMessage, useThrottled } from '../../lib/hooks'
import { linkClick } from '../../lib/router'
import type { HistoryEvent, Page, Vehicle } from '../../lib/types'
import { VehicleTimeline } from '../staff/vehicle-timeline'
import { EventCard } from './event-card'
import { LiveReadout } from './live-readout'

const PAGE_SIZE = 10

export function FleetList({ selected }: { selected: string | null }) {
  const vehicles = useAsync((signal) => api<Vehicle[]>('/api/vehicles', { signal }), [])
  // Health changes with alerts and alarms; a burst of them refetches once.
  const refresh = useThrottled(vehicles.reload, 2000)
  useSocketMessage('alert', refresh)
  useSocketMessage('alarm', refresh)
  // A completed booking resolves its alarm: the count must drop without a reload.
  useSocketMessage('booking', refresh)
  return (
    <section class="card" aria-labelledby="fleet-title">
      <h2 id="fleet-title">Vehicles</h2>
      <ListStates state={vehicles} empty="No vehicles in the fleet yet.">
        {(items) => (
          <ul class="fleet">
            {items.map((v) => {
              const href = `/dashboard/service/vehicle/${encodeURIComponent(v.vin)}`
              return (
                <li key={v.vin}>
                  <a
                    href={href}
                    class={`fleet-item${v.vin === selected ? ' active' : ''}`}
                    aria-current={v.vin === selected ? 'page' : undefined}
                    onClick={(e) => linkClick(e, href)}
                  >
                    <span class={`health-dot health-${v.health.status}`} aria-hidden="true" />
                    <span class="fleet-name">
                      {v.model} <span class="muted small">{v.vin}</span>
                    </span>
                    <span class="small">
                      {v.health.open_alarms > 0 ? `${v.health.open_alarms} open` : v.health.status}
                    </span>
                  </a>
                </li>
              )
            })}
          </ul>
        )}
      </ListStates>
    </section>
  )
}

/** One vehicle's anomaly history, newest first, with diagnoses and the telemetry around each event. */
export function VehicleDrilldown({ vin }: { vin: string }) {
  const vehicle = useAsync(
    (signal) => api<Vehicle>(`/api/vehicles/${encodeURIComponent(vin)}`, { signal }),
    [vin],
  )
  const history = useAsync(
    (signal) =>
      api<Page<HistoryEvent>>(`/api/vehicles/${encodeURIComponent(vin)}/history?limit=${PAGE_SIZE}`, {
        signal,
      }),
    [vin],
  )
  const [more, setMore] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null })

  useSocketMessage('alert', (a) => {
    if (a.vin === vin) history.reload()
  })
  // "Last reading" follows the stream instead of staying at the time the page loaded.
  const [lastReading, setLastReading] = useState<string | null>(null)
  useEffect(() => setLastReading(null), [vin])
  useSocketMessage('telemetry', (r) => {
    if (r.vin === vin) setLastReading(r.timestamp)
  })

  const loadMore = async () => {
    const cursor = history.data?.next_cursor
    if (!cursor) return
    setMore({ busy: true, error: null })
    try {
      const page = await api<Page<HistoryEvent>>(
        `/api/vehicles/${encodeURIComponent(vin)}/history${query({ limit: PAGE_SIZE, cursor })}`,
      )
      history.setData((prev) => ({
        items: [...(prev?.items ?? []), ...page.items],
        next_cursor: page.next_cursor,
      }))
      setMore({ busy: false, error: null })
    } catch (err) {
      setMore({ busy: false, error: (err as Error).message })
    }
  }

  if (vehicle.error) {
    return vehicle.error instanceof ApiError && vehicle.error.status === 404 ? (
      <section class="card">
        <h2>Vehicle not found</h2>
        <p>There is no vehicle with VIN {vin}.</p>
      </section>
    ) : (
      <ErrorState error={vehicle.error} onRetry={vehicle.reload} />
    )
  }
  const v = vehicle.data
  return (
    <section class="card" aria-labelledby="drill-title">
      <h2 id="drill-title">{v ? `${v.model} (${v.year})` : 'Vehicle'}</h2>
      {v ? (
        <dl class="facts">
          <div>
            <dt>VIN</dt>
            <dd>{v.vin}</dd>
          </div>
          <div>
            <dt>Batch</dt>
            <dd>{v.batch}</dd>
          </div>
          <div>
            <dt>Health</dt>
            <dd class={`health-text health-${v.health.status}`}>{v.health.status}</dd>
          </div>
          <div>
            <dt>RUL</dt>
            <dd>{formatRul(v.health)}</dd>
          </div>
          <div>
            <dt>Last reading</dt>
            <dd data-testid="last-reading">{formatDateTime(lastReading ?? v.last_reading_at)}</dd>
          </div>
        </dl>
      ) : (
        <Loading />
      )}
      <h3 class="subhead">Live</h3>
      <LiveReadout vin={vin} initial={v?.latest ?? null} />
      <h3 class="subhead">Telemetry</h3>
      <TelemetryPanel vin={vin} />
      <h3 class="subhead">Timeline</h3>
      <VehicleTimeline vin={vin} />
      <h3 class="subhead">Anomaly history</h3>
      <ListStates
        state={{ ...history, data: history.data?.items }}
        empty="No anomalies recorded for this vehicle."
      >
        {(items) => (
          <div class="events">
            {items.map((e) => (
              <EventCard key={e.id} vin={vin} event={e} />
            ))}
          </div>
        )}
      </ListStates>
      {history.data?.next_cursor && (
        <button type="button" class="btn" disabled={more.busy} onClick={loadMore}>
          {more.busy ? 'Loading…' : 'Older events'}
        </button>
      )}
      {more.error && <p class="inline-error">{more.error}</p>}
    </section>
  )
}
