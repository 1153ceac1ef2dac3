import type { Booking, BookingStatus, Role } from './types'

// The booking state machine as docs/api.md publishes it. REST answers carry `allowed_transitions` for
// the caller; WebSocket `booking` messages go to owner and desk alike, so the page fills them in for its
// own role. The server still decides: a refused move answers 409 with what is allowed.
const NEXT: Record<BookingStatus, BookingStatus[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['COMPLETED', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
}
const ROLE_TARGETS: Record<Role, BookingStatus[]> = {
  customer: ['CONFIRMED', 'CANCELLED'],
  service: ['CONFIRMED', 'COMPLETED', 'CANCELLED'],
  manufacturer: [],
}

export function allowedTransitions(role: Role, from: BookingStatus): BookingStatus[] {
  return (NEXT[from] ?? []).filter((to) => ROLE_TARGETS[role]?.includes(to))
}

/** A booking pushed over the socket, with the moves this role may make on it. */
export function forRole(booking: Booking, role: Role): Booking {
  return { ...booking, allowed_transitions: allowedTransitions(role, booking.status) }
}
