import type { BookingView } from '../../db/repositories/bookings.js'
import type { Severity } from '../../domain.js'
import { slotAtCentre } from '../../lib/zoned-time.js'
import { rulOf, rulSentence } from '../../schemas/rul.js'
import type { Answer, Choice, Context } from './types.js'

/** The chat agent's fixed wording and the answers built from the context alone. */

export const OFFER_COUNT = 3
export const SEARCH_DAYS = 14
export const ASK_AGAIN = 'You can ask me again any time: just say "what should I do?".'
export const SAFETY: Record<Severity, string> = {
  Critical: 'Please do not drive it until it has been checked.',
  High: 'You can still drive it carefully, but please have it serviced within the next few days.',
  Medium: 'It is safe to drive; have it checked at your next service.',
  Low: 'It is safe to drive.',
}
export const FALLBACK =
  'ask "what should I do?" for advice and the earliest service slots, "is it safe to drive?" for its status, ' +
  'or "when is my appointment?" for your booking. Say "yes" to book or confirm, pick a slot by its time ' +
  '("10:00", "tomorrow 9") or number ("slot 2"), or "no" to decline.'

export function label(ctx: Context, c: Choice | BookingView): string {
  const center = ctx.centers.get(c.service_center_id)
  const start = 'appointment_time' in c ? c.appointment_time : c.start
  return slotAtCentre(start, center?.timezone, center?.name ?? 'the service centre')
}

export function proposal(ctx: Context, b: BookingView): Answer {
  return {
    content: `I have reserved ${label(ctx, b)} for you: reply "yes" to confirm it, "no" to decline, or name another time.`,
    actions: [
      { type: 'confirm_booking', booking_id: b.id, label: `Approve service on ${label(ctx, b)}` },
      { type: 'decline', booking_id: b.id, label: 'Not now' },
    ],
    bookingId: b.id,
  }
}

/** The vehicle holds as many open bookings as allowed: no slot can be booked until one goes. */
export function tooManyBookings(ctx: Context): Answer {
  const live = ctx.live.map((b) => label(ctx, b))
  const which = live.length > 0 ? `: ${live.join('; ')}` : ''
  return {
    content:
      `Your ${ctx.req.vehicle.model} already has as many open service bookings as allowed${which}. ` +
      'I cannot book another until one of them is done or cancelled: say "cancel my booking" to cancel one, ' +
      'or ask "when is my appointment?".',
  }
}

/** A repeated "yes" (or a retry) answers with the booking the vehicle already has. */
export function alreadyBooked(ctx: Context, booking: BookingView): Answer {
  return { content: `Your service is already confirmed for ${label(ctx, booking)}.`, booking }
}

export function status(ctx: Context): Answer {
  const { worst, diagnosis } = ctx
  const model = ctx.req.vehicle.model
  const booking = ctx.confirmed
    ? ` Your service is booked for ${label(ctx, ctx.confirmed)}.`
    : ctx.pending
      ? ` A service on ${label(ctx, ctx.pending)} is waiting for your approval.`
      : ''
  if (!worst) return { content: `Your ${model} looks healthy: there are no open issues right now.${booking}` }
  const what = diagnosis?.diagnosis_text ?? worst.reason ?? worst.anomaly_type
  const n = ctx.open.length
  // The alarm row's estimate, in the words the alert used.
  const said = rulSentence(rulOf(worst))
  const rul = said === '' ? '' : ` ${said}`
  return {
    content:
      `Your ${model} has ${n} open issue${n === 1 ? '' : 's'}; the most serious is ${what} (${worst.severity}). ` +
      `${SAFETY[worst.severity]}${rul}${booking || ' Say "what should I do?" to see your options.'}`,
  }
}
