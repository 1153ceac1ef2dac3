import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { type AsyncState, useAsync, useSocketMessage } from '../../lib/hooks'
import type { Alarm } from '../../lib/types'

/** If the agent never answers an alert, stop claiming it is analysing. */
const ANALYSING_TIMEOUT_MS = 60_000
/** `DATA_QUALITY_ALARM` in src/domain.ts (not imported: it would bundle zod): not a fault of the car. */
const DATA_QUALITY = 'data_quality'

export interface AlertsState {
  /** The owner's open episodes, worst first: the alarm rows the banner, health card and history read. */
  alarms: AsyncState<Alarm[]>
  /** The worst open episode of each vehicle that the owner has not dismissed at its current severity. */
  shown: Alarm[]
  /** VINs between an alert and the agent's first chat message about them. */
  analysing: ReadonlySet<string>
  dismiss: (alarm: Alarm) => void
}

/**
 * The owner's alerts, read from the episode rows: an `alert` or `alarm` message refetches them (via
 * `refresh`, which the dashboard throttles with its other refetches), and a resolved episode leaves
 * at once, so no banner outlives its repair.
 */
export function useAlerts(refreshKey: number, refresh: () => void): AlertsState {
  const alarms = useAsync(
    (signal) => api<Alarm[]>('/api/alarms?status=OPEN,ACKNOWLEDGED&sort=severity', { signal }),
    [refreshKey],
  )
  const [analysing, setAnalysing] = useState<ReadonlySet<string>>(new Set())
  // Dismissed at a severity: an escalation shows the banner again.
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set())
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>())

  const settle = useCallback((vin: string) => {
    clearTimeout(timers.current.get(vin))
    timers.current.delete(vin)
    setAnalysing((s) => {
      if (!s.has(vin)) return s
      const next = new Set(s)
      next.delete(vin)
      return next
    })
  }, [])

  useEffect(() => {
    const pending = timers.current
    return () => {
      for (const t of pending.values()) clearTimeout(t)
    }
  }, [])

  useSocketMessage('alert', (alert) => {
    setAnalysing((s) => new Set(s).add(alert.vin))
    clearTimeout(timers.current.get(alert.vin))
    timers.current.set(
      alert.vin,
      setTimeout(() => settle(alert.vin), ANALYSING_TIMEOUT_MS),
    )
    refresh()
  })
  useSocketMessage('alarm', (notice) => {
    if (notice.status === 'RESOLVED') {
      alarms.setData((list) => list?.filter((a) => a.id !== notice.id))
      settle(notice.vin)
    }
    refresh()
  })
  useSocketMessage('chat', (m) => {
    if (m.sender === 'agent') settle(m.vin)
  })

  const dismiss = useCallback((alarm: Alarm) => {
    setDismissed((s) => new Set(s).add(`${alarm.id}:${alarm.severity}`))
  }, [])

  const worst = new Map<string, Alarm>()
  for (const a of alarms.data ?? []) {
    if (a.anomaly_type === DATA_QUALITY || a.status === 'RESOLVED' || worst.has(a.vin)) continue
    worst.set(a.vin, a)
  }
  const shown = [...worst.values()].filter((a) => !dismissed.has(`${a.id}:${a.severity}`))
  return { alarms, shown, analysing, dismiss }
}
