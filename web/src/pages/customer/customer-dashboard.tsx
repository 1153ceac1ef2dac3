import { useCallback, useEffect, useState } from 'preact/hooks'
import { alertHeadline } from '../../../../src/lib/alert-headline.js'
import { forRole } from '../../../../src/schemas/booking-rules.js'
import { ChatPanel } from '../../components/chat-panel'
import { ListStates } from '../../components/states'
import { VoiceControls } from '../../components/voice-controls'
import { api } from '../../lib/api'
import { useAsync, useSocketMessage, useThrottled } from '../../lib/hooks'
import { navigate, useLocation } from '../../lib/router'
import type { Booking, Vehicle } from '../../lib/types'
import { useDictation, useReadAloud } from '../../lib/voice'
import { AlertBadge } from './alert-badge'
import { HealthPanel } from './health-panel'
import { actionBlocked } from './proposals'
import { ServiceHistory, upsertBooking } from './service-history'
import { TelemetryCharts } from './telemetry-charts'
import { useAlerts } from './use-alerts'
import { useChat } from './use-chat'

const URGENCY = { critical: 0, warning: 1, ok: 2, unknown: 3 } as const

/** Without a choice in the URL, open on the vehicle that most needs attention. */
function mostUrgent(list: Vehicle[]): Vehicle | undefined {
  return [...list].sort((a, b) => (URGENCY[a.health.status] ?? 3) - (URGENCY[b.health.status] ?? 3))[0]
}

/**
 * The owner's screen. Every figure comes from the API's rows: the vehicle (health), its episodes
 * (banner, health card's alarms) and bookings (history, chat buttons). WebSocket messages say that
 * something changed and the rows are read again, so no two cards can tell different stories.
 */
export function CustomerDashboard() {
  const { query } = useLocation()
  const vehicles = useAsync((signal) => api<Vehicle[]>('/api/vehicles', { signal }), [])
  const [refreshKey, setRefreshKey] = useState(0)
  const list = vehicles.data ?? []
  const vin = list.find((v) => v.vin === query.get('vin'))?.vin ?? mostUrgent(list)?.vin ?? null
  const vehicle = list.find((v) => v.vin === vin) ?? null
  const nameOf = (v: string) => {
    const other = list.find((x) => x.vin === v)
    return other ? `${other.model} (${other.vin})` : v
  }

  const bookings = useAsync((signal) => api<Booking[]>('/api/bookings', { signal }), [refreshKey])
  const onBooking = useCallback(
    (b: Booking) => bookings.setData((l) => upsertBooking(l, b)),
    [bookings.setData],
  )
  const chat = useChat(vin, onBooking)
  const readAloud = useReadAloud()
  const dictation = useDictation((text) => void chat.send(text))

  // Health, episodes and bookings change together: refetch them together, at most once a second.
  const refreshSoon = useThrottled(() => {
    vehicles.reload()
    setRefreshKey((k) => k + 1)
  }, 1000)
  const { alarms, shown, analysing, dismiss } = useAlerts(refreshKey, refreshSoon)
  const current = shown.find((a) => a.vin === vin)
  const elsewhere = shown.filter((a) => a.vin !== vin)

  useSocketMessage('booking', (b) => {
    onBooking(forRole(b, 'customer'))
    refreshSoon()
  })
  useSocketMessage('alert', (a) => {
    readAloud.speak(
      `Alert for your ${nameOf(a.vin).split(' (')[0]}: ${alertHeadline(a.anomaly_type, a.signals)}`,
    )
  })
  useSocketMessage('chat', (m) => {
    if (m.sender === 'agent' && m.vin === vin) readAloud.speak(m.content)
  })

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
              alarm={current}
              analysing={analysing.has(current.vin)}
              onDismiss={() => dismiss(current)}
            />
          )}
          {elsewhere.map((a) => (
            <AlertBadge
              key={a.id}
              alarm={a}
              analysing={analysing.has(a.vin)}
              onDismiss={() => dismiss(a)}
              vehicleName={nameOf(a.vin)}
              onShow={() => selectVin(a.vin)}
            />
          ))}
        </div>
      )}

      {vehicle && (
        <>
          <section class="card span-charts" aria-labelledby="live-title">
            <h2 id="live-title">Live telemetry</h2>
            <TelemetryCharts vin={vehicle.vin} />
          </section>
          <div class="side">
            <HealthPanel vehicle={vehicle} alarms={alarms} />
          </div>
          <section class="card span-chat" aria-labelledby="chat-title">
            <h2 id="chat-title">Maintenance agent</h2>
            <ChatPanel
              messages={chat.messages}
              analysing={(vin !== null && analysing.has(vin)) || chat.waiting}
              error={chat.error}
              onSend={chat.send}
              onAction={chat.act}
              blocked={(m, a) =>
                actionBlocked(m, a, {
                  bookings: bookings.data,
                  openAlarms: alarms.data,
                  messages: chat.messages,
                })
              }
              voice={<VoiceControls readAloud={readAloud} dictation={dictation} />}
            />
          </section>
          <div class="span-history">
            <ServiceHistory bookings={bookings} openAlarms={alarms.data} />
          </div>
        </>
      )}
    </div>
  )
}
