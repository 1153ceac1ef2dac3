import { useState } from 'preact/hooks'
import { alertHeadline } from '../../../../src/lib/alert-headline.js'
import {
  announceCritical,
  askPermission,
  type CriticalPermission,
  notificationPermission,
  playAlarmTone,
} from '../../lib/critical-alerts'
import { useSocketMessage } from '../../lib/hooks'

/**
 * Staff hear of every Critical alert wherever they are in the dashboard: a browser notification and
 * a tone, after they allowed it with this button. New episodes and escalations to Critical both count.
 */
export function CriticalWatch() {
  const [permission, setPermission] = useState<CriticalPermission>(notificationPermission)
  const [last, setLast] = useState<string | null>(null)
  useSocketMessage('alert', (a) => {
    if (a.severity !== 'Critical') return
    const line = a.headline || alertHeadline(a.anomaly_type, a.signals)
    setLast(`${a.vin}: ${line}`)
    announceCritical(`Critical: ${a.vin}`, line, `critical-${a.anomaly_event_id}`)
  })
  if (permission === 'unsupported') return null
  return (
    <div class="critical-watch" data-permission={permission}>
      {permission === 'granted' ? (
        <span class="small">Critical alerts: notification and sound on</span>
      ) : permission === 'denied' ? (
        <span class="small muted">Notifications are blocked in this browser's site settings</span>
      ) : (
        <button
          type="button"
          class="btn btn-small"
          onClick={async () => {
            setPermission(await askPermission())
            // The click unlocks audio for later alerts.
            playAlarmTone()
          }}
        >
          Notify me of Critical alerts
        </button>
      )}
      {last && (
        <span class="visually-hidden" role="status">
          Critical alert {last}
        </span>
      )}
    </div>
  )
}
