import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ChatPanel } from '../../components/chat-panel'
import { ListStates } from '../../components/states'
import { api } from '../../lib/api'
import { useAsync, useSocketMessage } from '../../lib/hooks'
import { navigate, useLocation } from '../../lib/router'
import type { AlertData, Booking, Vehicle } from '../../lib/types'
import { AlertBadge } from './alert-badge'
import { HealthPanel } from './health-panel'
import { ServiceHistory, upsertBooking } from './service-history'
import { TelemetryCharts } from './telemetry-charts'
import { useChat } from './use-chat'

/** If the agent never answers an alert, stop claiming it is analysing. */
const ANALYSING_TIMEOUT_MS = 60_000

export function CustomerDashboard() {
  const { query } = useLocation()
  const vehicles = useAsync((signal) => api<Vehicle[]>('/api/vehicles', { signal }), [])
  const [refreshKey, setRefreshKey] = useState(0)
  const list = vehicles.data ?? []
  const vin = list.find((v) => v.vin === query.get('vin'))?.vin ?? list[0]?.vin ?? null
  const vehicle = list.find((v) => v.vin === vin) ?? null

  const bookings = useAsync((signal) => api<Booking[]>('/api/bookings', { signal }), [])
  const onBooking = useCallback(
    (b: Booking) => bookings.setData((l) => upsertBooking(l, b)),
    [bookings.setData],
  )
  const chat = useChat(vin, onBooking)

  const [alert, setAlert] = useState<AlertData | null>(null)
  const [analysing, setAnalysing] = useState(false)
  const analysingTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)

  // Health and alarms change after alerts and bookings: refetch, at most once a second.
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const refreshSoon = useCallback(() => {
    clearTimeout(refreshTimer.current)
    refreshTimer.current = setTimeout(() => {
      vehicles.reload()
      setRefreshKey((k) => k + 1)
    }, 1000)
  }, [vehicles.reload])
  useEffect(
    () => () => {
      clearTimeout(refreshTimer.current)
      clearTimeout(analysingTimer.current)
    },
    [],
  )

  useSocketMessage('alert', (a) => {
    // Alerts about the owner's other vehicles still show: the badge names the VIN and offers a switch.
    setAlert(a)
    setAnalysing(true)
    clearTimeout(analysingTimer.current)
    analysingTimer.current = setTimeout(() => setAnalysing(false), ANALYSING_TIMEOUT_MS)
    refreshSoon()
  })
  useSocketMessage('chat', (m) => {
    if (m.sender === 'agent' && alert && m.vin === alert.vin) {
      clearTimeout(analysingTimer.current)
      setAnalysing(false)
    }
  })
  useSocketMessage('booking', (b) => {
    onBooking(b)
    refreshSoon()
  })
  useSocketMessage('alarm', () => refreshSoon())

  const selectVin = (next: string) => navigate(`/dashboard/customer?vin=${encodeURIComponent(next)}`)

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
                    {v.model} ({v.year}) · {v.vin}
                  </option>
                ))}
              </select>
            </label>
          )}
        </ListStates>
      </section>

      {alert && (
        <div class="span-all">
          <AlertBadge alert={alert} analysing={analysing} onDismiss={() => setAlert(null)} />
          {alert.vin !== vin && list.some((v) => v.vin === alert.vin) && (
            <button type="button" class="btn btn-small" onClick={() => selectVin(alert.vin)}>
              Show {alert.vin}
            </button>
          )}
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
              analysing={(analysing && alert?.vin === vehicle.vin) || chat.waiting}
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
