import type { ComponentChildren } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, endSession } from '../lib/api'
import { SocketContext, useSocketMessage } from '../lib/hooks'
import { isExpired, loadSession, type Session } from '../lib/session'
import { TelemetrySocket, telemetryUrl } from '../lib/socket'
import type { SecurityData } from '../lib/types'
import { ConnectionBadge } from './connection-badge'

const ROLE_LABEL = {
  customer: 'Owner',
  service: 'Service centre',
  manufacturer: 'Quality engineering',
} as const

/** The service desk hears about blocked agent steps too; the manufacturing page has its own banner. */
function SecurityToasts() {
  const [items, setItems] = useState<Array<SecurityData & { key: number }>>([])
  useSocketMessage('security', (data) => {
    const key = Date.now() + Math.random()
    setItems((prev) => [{ ...data, key }, ...prev].slice(0, 3))
    setTimeout(() => setItems((prev) => prev.filter((i) => i.key !== key)), 10_000)
  })
  if (items.length === 0) return null
  return (
    <div class="toasts" role="alert">
      {items.map((i) => (
        <div class="toast toast-danger" key={i.key}>
          <strong>
            {i.drill ? 'Drill: ' : ''}
            {i.message || 'SECURITY: Unauthorized transition blocked'}
          </strong>
          <span>
            {i.agent}: {i.source} → {i.target}
            {i.vin ? ` (${i.vin})` : ''}
          </span>
        </div>
      ))}
    </div>
  )
}

/** The signed-in frame: header, connection state, and the page's one WebSocket. */
export function DashboardShell({
  session,
  title,
  children,
}: {
  session: Session
  title: string
  children: ComponentChildren
}) {
  const socket = useMemo(
    () =>
      new TelemetrySocket({
        url: () => {
          const s = loadSession()
          return s && !isExpired(s) ? telemetryUrl(s.token) : null
        },
        onAuthRejected: () => endSession('expired'),
        verifyAuth: () => api('/api/auth/me'),
      }),
    // One socket per token: a new sign-in gets a new connection.
    [session.token],
  )
  useEffect(() => {
    socket.start()
    return () => socket.stop()
  }, [socket])

  // The token's own expiry ends the session even if the page makes no request.
  useEffect(() => {
    if (session.exp === null) return
    const ms = session.exp * 1000 - Date.now()
    const id = setTimeout(() => endSession('expired'), Math.max(0, Math.min(ms, 2 ** 31 - 1)))
    return () => clearTimeout(id)
  }, [session.exp])

  return (
    <SocketContext.Provider value={socket}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true" />
          Autonoma
        </div>
        <h1 class="topbar-title">{title}</h1>
        <div class="topbar-right">
          <ConnectionBadge />
          <span class="who" title={session.user.email}>
            <span class="who-name">{session.user.name || session.user.email}</span>
            <span class="who-role">{ROLE_LABEL[session.user.role]}</span>
          </span>
          <button type="button" class="btn btn-ghost btn-small" onClick={() => endSession('signed-out')}>
            Sign out
          </button>
        </div>
      </header>
      {session.user.role === 'service' && <SecurityToasts />}
      <main id="main" class="dashboard">
        {children}
      </main>
    </SocketContext.Provider>
  )
}
