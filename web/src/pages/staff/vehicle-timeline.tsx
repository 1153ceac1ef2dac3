import { ListStates } from '../../components/states'
import { api } from '../../lib/api'
import { formatDateTime, humanize, severityClass } from '../../lib/format'
import { useAsync, useSocketMessage, useThrottled } from '../../lib/hooks'
import type { Timeline, TimelineEntry } from '../../lib/types'

const KIND_LABEL: Record<TimelineEntry['kind'], string> = {
  opened: 'Opened',
  escalated: 'Escalated',
  declined: 'Owner declined',
  acknowledged: 'Acknowledged',
  assigned: 'Assigned',
  unassigned: 'Unassigned',
  diagnosed: 'Diagnosed',
  messaged: 'Owner told',
  booked: 'Booked',
  cancelled: 'Cancelled',
  serviced: 'Serviced',
  resolved: 'Resolved',
}

/**
 * What happened to a vehicle's alarms and who did it, newest first; with `alarmId` only that
 * alarm's steps. Refreshes itself when an alert, an alarm change or a booking of the vehicle arrives.
 */
export function VehicleTimeline({ vin, alarmId }: { vin: string; alarmId?: string }) {
  const timeline = useAsync(
    (signal) => api<Timeline>(`/api/vehicles/${encodeURIComponent(vin)}/timeline`, { signal }),
    [vin],
  )
  const refresh = useThrottled(timeline.reload, 1000)
  const mine = (data: { vin: string }) => data.vin === vin && refresh()
  useSocketMessage('alert', mine)
  useSocketMessage('alarm', mine)
  useSocketMessage('booking', mine)
  const entries = timeline.data?.entries
    .filter((e) => !alarmId || e.alarm_id === alarmId)
    .slice()
    .reverse()
  return (
    <ListStates
      state={{ ...timeline, data: entries }}
      empty="Nothing has happened to this vehicle's alarms yet."
    >
      {(items) => (
        <ol class="timeline" data-testid="vehicle-timeline" aria-label={`Timeline of ${vin}, newest first`}>
          {items.map((e, i) => (
            <li key={`${e.kind}-${e.at}-${i}`} class={`tl-item tl-${e.kind}`} data-kind={e.kind}>
              <span class="tl-dot" aria-hidden="true" />
              <div class="tl-body">
                <div class="tl-head">
                  <strong>{KIND_LABEL[e.kind]}</strong>
                  {e.severity && !alarmId && <span class={severityClass(e.severity)}>{e.severity}</span>}
                  {e.anomaly_type && !alarmId && <span class="small">{humanize(e.anomaly_type)}</span>}
                  <time class="small muted" dateTime={e.at}>
                    {formatDateTime(e.at)}
                  </time>
                </div>
                <p class="tl-summary">{e.summary}</p>
                {e.note && <p class="tl-note">“{e.note}”</p>}
                <p class="small muted">by {e.actor.name}</p>
              </div>
            </li>
          ))}
        </ol>
      )}
    </ListStates>
  )
}
