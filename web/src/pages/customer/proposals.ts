import { ApiError } from '../../lib/api'
import type { Alarm, Booking, ChatAction, ChatMessage } from '../../lib/types'

/** What the owner's screen knows when it decides whether an old chat button still means anything. */
export interface ProposalContext {
  bookings: readonly Booking[] | undefined
  /** The owner's open episodes (undefined while loading: then nothing is called resolved). */
  openAlarms: readonly Alarm[] | undefined
  /** All messages of the conversation, oldest first. */
  messages: readonly ChatMessage[]
}

const DONE: Record<string, string> = {
  CONFIRMED: 'Already approved: see Service history.',
  COMPLETED: 'This service has been done.',
  CANCELLED: 'This booking was cancelled.',
}

/**
 * A PENDING booking the agent proposed for an episode that has since resolved (repaired, or the
 * readings went back to normal): not something the owner still has to decide on.
 */
export function noLongerNeeded(booking: Booking, openAlarms: readonly Alarm[] | undefined): boolean {
  if (booking.status !== 'PENDING' || booking.source !== 'agent' || !booking.anomaly_event_id) return false
  if (!openAlarms) return false
  return !openAlarms.some((a) => a.id === booking.anomaly_event_id)
}

/**
 * Why a chat button of an older message can no longer be pressed, in words; null when it can.
 * Answered (the booking moved on), superseded (a newer proposal about the same vehicle), or the
 * episode it was about has resolved.
 */
export function actionBlocked(message: ChatMessage, action: ChatAction, ctx: ProposalContext): string | null {
  const booking = action.booking_id ? ctx.bookings?.find((b) => b.id === action.booking_id) : undefined
  if (booking && booking.status !== 'PENDING') return DONE[booking.status] ?? null
  if (booking && noLongerNeeded(booking, ctx.openAlarms)) {
    return action.type === 'decline' ? null : 'No longer needed: the alert has cleared.'
  }
  if (message.anomaly_event_id && ctx.openAlarms && !booking) {
    const open = ctx.openAlarms.some((a) => a.id === message.anomaly_event_id)
    if (!open) return 'No longer needed: the alert has cleared.'
    const booked = ctx.bookings?.find(
      (b) => b.anomaly_event_id === message.anomaly_event_id && b.status !== 'CANCELLED',
    )
    if (booked) return `Already booked: ${booked.appointment_label}.`
  }
  const index = ctx.messages.findIndex((m) => m.id === message.id)
  const newer = ctx.messages
    .slice(index + 1)
    .some((m) => m.sender === 'agent' && m.actions.length > 0 && m.vin === message.vin)
  if (index >= 0 && newer) return 'Replaced by a newer proposal below.'
  return null
}

const FRIENDLY: Record<string, string> = {
  INVALID_TRANSITION: 'That booking has already been handled: see Service history.',
  SLOT_TAKEN: 'Someone has just taken that slot: ask the agent for other times.',
  VEHICLE_ALREADY_BOOKED: 'Your vehicle already has a booking at that time: see Service history.',
  TOO_MANY_OPEN_BOOKINGS: 'Your vehicle has as many open bookings as allowed: complete or cancel one first.',
  BOOKING_NOT_FOUND: 'That booking no longer exists.',
}

/** A refused chat action in the owner's words: never the server's raw message with its timestamps. */
export function friendlyActionError(err: unknown): Error {
  if (err instanceof ApiError) {
    const text = FRIENDLY[err.code]
    if (text) return new Error(text)
    if (err.status === 409) return new Error('That is no longer possible: see Service history.')
  }
  return err instanceof Error ? err : new Error(String(err))
}
