import type { BookingStatus, Role } from '../domain.js'

// Types only: the dashboard bundles this file, so it must pull nothing server-side in.

/** The booking life cycle: PENDING -> CONFIRMED -> COMPLETED, and either open state may be cancelled. */
const NEXT: Readonly<Record<BookingStatus, readonly BookingStatus[]>> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['COMPLETED', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
}

/**
 * Which target states each role may move a booking to. An owner approves or declines; only the
 * service centre can say the work is done; the manufacturer only reads aggregates.
 */
const ROLE_TARGETS: Readonly<Record<Role, readonly BookingStatus[]>> = {
  customer: ['CONFIRMED', 'CANCELLED'],
  service: ['CONFIRMED', 'COMPLETED', 'CANCELLED'],
  manufacturer: [],
}

/** The states `role` may move a booking in state `from` to (empty for final states). */
export function allowedTransitions(role: Role, from: BookingStatus): BookingStatus[] {
  const targets = ROLE_TARGETS[role] ?? []
  return (NEXT[from] ?? []).filter((to) => targets.includes(to))
}

export function canTransition(role: Role, from: BookingStatus, to: BookingStatus): boolean {
  return allowedTransitions(role, from).includes(to)
}

/**
 * A booking pushed over the WebSocket, with the moves this role may make on it: `booking` messages
 * go to owner and desk alike, so each dashboard fills them in for its own role. The server still
 * decides; a refused move answers 409 with what is allowed.
 */
export function forRole<B extends { status: BookingStatus }>(
  booking: B,
  role: Role,
): B & { allowed_transitions: BookingStatus[] } {
  return { ...booking, allowed_transitions: allowedTransitions(role, booking.status) }
}
