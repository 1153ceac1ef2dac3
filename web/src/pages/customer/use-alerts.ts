import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { useSocketMessage } from '../../lib/hooks'
import type { AlertData } from '../../lib/types'

/** If the agent never answers an alert, stop claiming it is analysing. */
const ANALYSING_TIMEOUT_MS = 60_000

export interface AlertState {
  alert: AlertData
  /** Between the alert and the agent's first chat message about that vehicle. */
  analysing: boolean
}

/** The latest alert of each of the owner's vehicles, and whether the agents are still on it. */
export function useAlerts(onAlert: () => void): {
  alerts: Record<string, AlertState>
  dismiss: (vin: string) => void
} {
  const [alerts, setAlerts] = useState<Record<string, AlertState>>({})
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>())

  const settle = useCallback((vin: string) => {
    clearTimeout(timers.current.get(vin))
    timers.current.delete(vin)
    setAlerts((all) => {
      const entry = all[vin]
      return entry?.analysing ? { ...all, [vin]: { ...entry, analysing: false } } : all
    })
  }, [])

  useEffect(() => {
    const pending = timers.current
    return () => {
      for (const t of pending.values()) clearTimeout(t)
    }
  }, [])

  useSocketMessage('alert', (alert) => {
    setAlerts((all) => ({ ...all, [alert.vin]: { alert, analysing: true } }))
    clearTimeout(timers.current.get(alert.vin))
    timers.current.set(
      alert.vin,
      setTimeout(() => settle(alert.vin), ANALYSING_TIMEOUT_MS),
    )
    onAlert()
  })
  useSocketMessage('chat', (m) => {
    if (m.sender === 'agent') settle(m.vin)
  })

  const dismiss = useCallback((vin: string) => {
    clearTimeout(timers.current.get(vin))
    timers.current.delete(vin)
    setAlerts(({ [vin]: _, ...rest }) => rest)
  }, [])

  return { alerts, dismiss }
}
