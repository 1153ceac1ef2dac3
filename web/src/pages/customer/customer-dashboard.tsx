import { useCallback, useEffect, useState } from 'preact/hooks'
import { forRole } from '../../../../src/schemas/booking-rules.js'
import { ChatPanel } from '../../components/chat-panel'
import { ListStates } from '../../components/states'
import { api } from '../../lib/api'
import { severityClass } from '../../lib/format'
import { useAsync, useSocketMessage, useThrottled } from '../../lib/hooks'
import { navigate, useLocation } from '../../lib/router'
import type { Booking, Vehicle } from '../../lib/types'
import { AlertBadge } from './alert-badge'
import { HealthPanel } from './health-panel'
import { ServiceHistory, upsertBooking } from './service-history'
import { TelemetryCharts } from './telemetry-charts'
import { useAlerts } from './use-alerts'
import { useChat } from './use-chat'

const URGENCY = { critical: 0, warning: 1, ok: 2, unknown: 3 } as const

/** Without a choice in the URL, open on the vehicle that most needs attention. */
function mostUrgent(list: Vehicle[]): Vehicle | undefined {
  return [...list].sort((a, b) => (URGENCY[a.health.status] ?? 3) - (URGENCY[b.health.status] ?? 3))[0]
}

export function CustomerDashboard() {
  const { query } = useLocation()
  const vehicles = useAsync((signal) => api<Vehicle[]>('/api/vehicles', { signal }), [])
  const [refreshKey, setRefreshKey] = useState(0)
  const list = vehicles.data ?? []
  const vin = list.find((v) => v.vin === query.get('vin'))?.vin ?? mostUrgent(list)?.vin ?? null
  const vehicle = list.find((v) => v.vin === vin) ?? null

  const bookings = useAsync((signal) => api<Booking[]>('/api/bookings', { signal }), [])
  const onBooking = useCallback(
    (b: Booking) => bookings.setData((l) => upsertBooking(l, b)),
    [bookings.setData],
  )
  const chat = useChat(vin, onBooking)

  // Health and alarms change after alerts and bookings: refetch, at most once a second.
  const refreshSoon = useThrottled(() => {
    vehicles.reload()
    setRefreshKey((k) => k + 1)
  }, 1000)
  const { alerts, dismiss } = useAlerts(refreshSoon)
  const current = vin ? alerts[vin] : undefined
  const elsewhere = Object.values(alerts).filter((a) => a.alert.vin !== vin)

  useSocketMessage('booking', (b) => {
    onBooking(forRole(b, 'customer'))
    refreshSoon()
  })
  useSocketMessage('alarm', () => refreshSoon())

  const selectVin = (next: string) => navigate(`/dashboard/customer?vin=${encodeURIComponent(next)}`)
  // Pin the default choice in the URL, so a health change on reload does not switch vehicles under the user.
  const pinned = query.get('vin')
  useEffect(() => {
    if (vin && pinned !== vin)
      navigate(`/dashboard/customer?vin=${encodeURIComponent(vin)}`, { replace: true })
  }, [vin, pinned])

  return (
    <div class="layout-customer">
      <section class="card picker" aria-labelledby="picker-title">
        <h2 id="picker-title" class="visually-hidden">
          Your vehicles
        </h2>
        <ListStates state={vehicles} empty="No vehicles are registered to your account yet.">
          {(items) => (
            <label class="field field-inline">
              <span>Vehicle</span>
              <select class="input" value={vin ?? ''} onChange={(e) => selectVin(e.currentTarget.value)}>
                {items.map((v) => (
                  <option key={v.vin} value={v.vin}>
                    {v.model} {v.year} · {v.vin}
                  </option>
                ))}
              </select>
            </label>
          )}
        </ListStates>
      </section>

      {(current || elsewhere.length > 0) && (
        <div class="span-all alerts">
          {current && (
            <AlertBadge
              alert={current.alert}
              analysing={current.analysing}
              onDismiss={() => dismiss(current.alert.vin)}
            />
          )}
          {elsewhere.map(({ alert }) => {
            const other = list.find((v) => v.vin === alert.vin)
            return (
              <p key={alert.vin} class="alert-elsewhere" role="status">
                <span class={severityClass(alert.severity)}>{alert.severity}</span>{' '}
                {alert.diagnosis || alert.headline} on {other ? `${other.model} (${alert.vin})` : alert.vin}
                <button type="button" class="btn btn-small" onClick={() => selectVin(alert.vin)}>
                  Show
                </button>
              </p>
            )
          })}
        </div>
      )}

      {vehicle && (
        <>
          <section class="card span-charts" aria-labelledby="live-title">
            <h2 id="live-title">Live telemetry</h2>
            <TelemetryCharts vin={vehicle.vin} />
          </section>
          <div class="side">
            <HealthPanel vehicle={vehicle} refreshKey={refreshKey} />
          </div>
          <section class="card span-chat" aria-labelledby="chat-title">
            <h2 id="chat-title">Maintenance agent</h2>
            <ChatPanel
              messages={chat.messages}
              analysing={current?.analysing || chat.waiting}
              error={chat.error}
              onSend={chat.send}
              onAction={chat.act}
            />
          </section>
          <div class="span-history">
            <ServiceHistory bookings={bookings} />
          </div>
        </>
      )}
    </div>
  )
}
