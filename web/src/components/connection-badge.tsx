import { useConnection, useNow } from '../lib/hooks'

const LABEL = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
} as const

/** Always visible, so nobody mistakes a frozen chart for a quiet vehicle. */
export function ConnectionBadge() {
  const info = useConnection()
  const now = useNow(1000)
  const wait = info.retryAt ? Math.max(0, Math.ceil((info.retryAt - now) / 1000)) : null
  return (
    <output class={`conn conn-${info.state}`} data-state={info.state} aria-live="polite">
      <span class="conn-dot" aria-hidden="true" />
      {LABEL[info.state]}
      {info.state === 'reconnecting' && wait !== null && (
        <span class="conn-detail">
          {' '}
          in {wait}s (attempt {info.attempt})
        </span>
      )}
    </output>
  )
}
