import type { Repositories } from '../../db/repositories/index.js'
import { isUrgent, type Severity } from '../../domain.js'
import { localDate } from '../../lib/zoned-time.js'
import type { Slot } from '../../schemas/bookings.js'
import type { BookingService, BookOptions, BookResult } from '../../services/booking.service.js'
import { BOOKING_LEAD_MS, centerSlotStarts, centersFor, DAY_MS, toDate } from '../../services/slot-grid.js'

export interface AvailabilityOptions {
  /** Days ahead to look (default 7, at most 31). */
  days?: number
  limit?: number
  /**
   * The visit's severity. Below High, slots on days the demand forecast expects to overload go
   * after every slot on other days in the window (they stay offered when nothing else is free);
   * urgent visits, or none given, take the earliest slots regardless.
   */
  severity?: Severity
}

/** Which centre-days are overloaded (`${centerId}@${YYYY-MM-DD}`, the centre's local date). */
export interface DemandSource {
  overloadedDays(now: Date): Promise<ReadonlySet<string>>
}

export const DEFAULT_DAYS = 7
export const MAX_DAYS = 31

/**
 * Finds real free slots: each centre's grid from its opening hours, in its time zone, less the
 * bays already booked. Booking a slot is the booking service's job; `bookAppointment` hands over.
 */
export class SchedulingAgent {
  private readonly repos: Pick<Repositories, 'bookings' | 'serviceCenters'>
  private readonly bookings: BookingService
  private readonly now: () => Date
  private readonly demand: DemandSource | undefined

  constructor(
    repos: Pick<Repositories, 'bookings' | 'serviceCenters'>,
    bookings: BookingService,
    options: { now?: () => Date; demand?: DemandSource } = {},
  ) {
    this.repos = repos
    this.bookings = bookings
    this.now = options.now ?? (() => new Date())
    this.demand = options.demand
  }

  async checkAvailability(
    centerId?: string,
    from?: Date | string,
    options: AvailabilityOptions = {},
  ): Promise<Slot[]> {
    const centers = await centersFor(this.repos.serviceCenters, centerId)
    const now = this.now()
    const windowStart = from === undefined ? now : toDate(from, 'from')
    const days = Math.min(Math.max(Math.trunc(options.days ?? DEFAULT_DAYS), 1), MAX_DAYS)
    const windowEnd = new Date(windowStart.getTime() + days * DAY_MS)
    const earliest = new Date(Math.max(windowStart.getTime(), now.getTime() + BOOKING_LEAD_MS))
    if (earliest >= windowEnd) return []

    const taken = new Map<string, number>()
    for (const t of await this.repos.bookings.takenSlots(earliest, windowEnd, centerId)) {
      taken.set(`${t.service_center_id}@${t.appointment_time.getTime()}`, t.taken)
    }
    const slots: Array<Slot & { at: number }> = []
    for (const center of centers) {
      for (const start of centerSlotStarts(center, earliest, windowEnd)) {
        const free = center.bays - (taken.get(`${center.id}@${start.getTime()}`) ?? 0)
        if (free <= 0) continue
        slots.push({
          at: start.getTime(),
          service_center_id: center.id,
          service_center_name: center.name,
          timezone: center.timezone,
          start: start.toISOString(),
          end: new Date(start.getTime() + center.slot_minutes * 60_000).toISOString(),
          free_bays: free,
        })
      }
    }
    slots.sort((a, b) => a.at - b.at || a.service_center_name.localeCompare(b.service_center_name))
    const ordered = await this.awayFromOverload(slots, now, options.severity)
    return ordered.slice(0, options.limit ?? ordered.length).map(({ at: _at, ...slot }) => slot)
  }

  /** Non-urgent visits: slots on overloaded days move behind the rest (a stable partition). */
  private async awayFromOverload<T extends Slot>(slots: T[], now: Date, severity?: Severity): Promise<T[]> {
    if (!this.demand || severity === undefined || isUrgent(severity)) return slots
    const overloaded = await this.demand.overloadedDays(now)
    if (overloaded.size === 0) return slots
    const busy = (s: T) =>
      overloaded.has(`${s.service_center_id}@${localDate(new Date(s.start), s.timezone)}`)
    return [...slots.filter((s) => !busy(s)), ...slots.filter(busy)]
  }

  bookAppointment(slot: Date | string, vehicleId: string, options: BookOptions = {}): Promise<BookResult> {
    return this.bookings.book(slot, vehicleId, options)
  }
}
