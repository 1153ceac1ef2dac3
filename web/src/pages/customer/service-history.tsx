import { BookingActions, StatusPill } from '../../components/booking-actions'
import { FeedbackForm } from '../../components/feedback-form'
import { ListStates } from '../../components/states'
import type { AsyncState } from '../../lib/hooks'
import type { Alarm, Booking } from '../../lib/types'
import { noLongerNeeded } from './proposals'

export function upsertBooking(list: Booking[] | undefined, b: Booking): Booking[] {
  const rest = (list ?? []).filter((x) => x.id !== b.id)
  return [...rest, b].sort((x, y) => Date.parse(y.appointment_time) - Date.parse(x.appointment_time))
}

/**
 * The owner's bookings, newest first; completed ones take a rating. Live through `booking` messages.
 * A proposal whose alert has cleared is shown as not needed, not as one more thing pending.
 */
export function ServiceHistory({
  bookings,
  openAlarms,
}: {
  bookings: AsyncState<Booking[]>
  openAlarms: readonly Alarm[] | undefined
}) {
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">Service history</h2>
      <ListStates
        state={bookings}
        empty="No service bookings yet. When the agent suggests service, book it in the chat."
      >
        {(items) => (
          <ul class="booking-list">
            {items.map((b) => {
              const stale = noLongerNeeded(b, openAlarms)
              return (
                <li
                  key={b.id}
                  class="booking"
                  data-booking-id={b.id}
                  data-status={b.status}
                  data-state={stale ? 'not-needed' : undefined}
                >
                  <div class="booking-main">
                    {stale ? (
                      <span class="pill pill-cancelled">not needed</span>
                    ) : (
                      <StatusPill status={b.status} />
                    )}
                    <strong>{b.appointment_label}</strong>
                    <span class="muted">
                      {b.service_center_name}
                      {b.bay ? `, bay ${b.bay}` : ''} · {b.vehicle_model}
                    </span>
                  </div>
                  {stale && (
                    <p class="small muted">
                      The alert this was proposed for has cleared. Cancel it, or keep it for a check-up.
                    </p>
                  )}
                  {b.customer_notes && <p class="small muted">{b.customer_notes}</p>}
                  <BookingActions
                    booking={b}
                    onChanged={(nb) => bookings.setData((l) => upsertBooking(l, nb))}
                  />
                  {b.status === 'COMPLETED' && <FeedbackForm bookingId={b.id} />}
                </li>
              )
            })}
          </ul>
        )}
      </ListStates>
    </section>
  )
}
