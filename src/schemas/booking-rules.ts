import type { BookingStatus, Role } from '../domain.js'

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
