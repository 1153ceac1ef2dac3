import type { Db } from '../../db/client.js'
import { isUniqueViolation } from '../../db/errors.js'
import { type BookingsRepository, bookingsRepository } from '../../db/repositories/bookings.js'
import {
  type ServiceCentersRepository,
  serviceCentersRepository,
} from '../../db/repositories/service-centers.js'
import type { ServiceBooking, ServiceCenter } from '../../db/schema.js'
import { AppError } from '../../errors.js'
import { wallClock, zonedTimeToUtc } from '../../lib/zoned-time.js'

export { zonedTimeToUtc } from '../../lib/zoned-time.js'

/** A bookable start time at one centre. */
export interface Slot {
  service_center_id: string
  service_center_name: string
  start: string
  end: string
  free_bays: number
}

export interface AvailabilityOptions {
  /** Days ahead to look (default 7, at most 31). */
  days?: number
  limit?: number
}

export interface BookOptions {
  serviceCenterId?: string
  notes?: string | null
  source?: 'customer' | 'agent' | 'chat'
  anomalyEventId?: string | null
  createdBy?: string | null
  idempotencyKey?: string | null
  status?: 'PENDING' | 'CONFIRMED'
}

export interface BookResult {
  booking: ServiceBooking
  /** True when an earlier booking with the same creator and idempotency key was returned. */
  replayed: boolean
}

/** Nobody should be offered, or book, a slot that starts in a few minutes. */
export const BOOKING_LEAD_MS = 60 * 60 * 1000
export const DEFAULT_DAYS = 7
export const MAX_DAYS = 31
const DAY_MS = 24 * 60 * 60 * 1000

const BAY_INDEX = 'service_bookings_bay_slot_idx'
const IDEMPOTENCY_INDEX = 'service_bookings_idempotency_idx'

function hhmm(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`
}

function toDate(value: Date | string, what: string): Date {
  const d = value instanceof Date ? new Date(value.getTime()) : new Date(value)
  if (Number.isNaN(d.getTime()))
    throw new AppError('SLOT_UNAVAILABLE', `${what} is not a valid date and time`)
  return d
}

/** Every grid start of a centre in [from, to), in its own time zone. */
function centerSlotStarts(center: ServiceCenter, from: Date, to: Date): Date[] {
  const first = wallClock(from, center.timezone)
  const last = wallClock(to, center.timezone)
  const lastDay = Date.UTC(last.year, last.month - 1, last.day)
  const starts: Date[] = []
  for (let day = Date.UTC(first.year, first.month - 1, first.day); day <= lastDay; day += DAY_MS) {
    const d = new Date(day)
    const date = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }
    const close = center.closing_hour * 60
    for (let m = center.opening_hour * 60; m + center.slot_minutes <= close; m += center.slot_minutes) {
      const start = zonedTimeToUtc(date, m, center.timezone)
      if (start && start >= from && start < to) starts.push(start)
    }
  }
  return starts
}

/** Why `slot` is not a start on the centre's grid, or undefined when it is one. */
function gridProblem(center: ServiceCenter, slot: Date): string | undefined {
  const w = wallClock(slot, center.timezone)
  const minute = w.hour * 60 + w.minute
  const open = center.opening_hour * 60
  const close = center.closing_hour * 60
  const local = `${hhmm(minute)} ${center.timezone}`
  if (minute < open || minute + center.slot_minutes > close) {
    return `${local} is outside the opening hours of ${center.name} (${hhmm(open)}-${hhmm(close)}, last slot at ${hhmm(close - center.slot_minutes)})`
  }
  const onGrid =
    w.second === 0 &&
    slot.getUTCMilliseconds() === 0 &&
    (minute - open) % center.slot_minutes === 0 &&
    zonedTimeToUtc(w, minute, center.timezone)?.getTime() === slot.getTime()
  if (!onGrid) {
    return `${local} is not a slot start at ${center.name}: slots start every ${center.slot_minutes} minutes from ${hhmm(open)}`
  }
  return undefined
}

/**
 * Reads real free slots and writes bookings. Double booking is prevented by the database's
 * partial unique index on (centre, time, bay), not by reading first: a lost race on a bay simply
 * moves on to the next bay, so concurrent requests for the last bay have exactly one winner.
 */
export class SchedulingAgent {
  private readonly bookings: BookingsRepository
  private readonly centers: ServiceCentersRepository
  private readonly now: () => Date

  constructor(db: Db, options: { now?: () => Date } = {}) {
    this.bookings = bookingsRepository(db)
    this.centers = serviceCentersRepository(db)
    this.now = options.now ?? (() => new Date())
  }

  async checkAvailability(
    centerId?: string,
    from?: Date | string,
    options: AvailabilityOptions = {},
  ): Promise<Slot[]> {
    const centers = await this.centersFor(centerId)
    const now = this.now()
    const windowStart = from === undefined ? now : toDate(from, 'from')
    const days = Math.min(Math.max(Math.trunc(options.days ?? DEFAULT_DAYS), 1), MAX_DAYS)
    const windowEnd = new Date(windowStart.getTime() + days * DAY_MS)
    const earliest = new Date(Math.max(windowStart.getTime(), now.getTime() + BOOKING_LEAD_MS))
    if (earliest >= windowEnd) return []

    const taken = new Map<string, number>()
    for (const t of await this.bookings.takenSlots(earliest, windowEnd, centerId)) {
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
          start: start.toISOString(),
          end: new Date(start.getTime() + center.slot_minutes * 60_000).toISOString(),
          free_bays: free,
        })
      }
    }
    slots.sort((a, b) => a.at - b.at || a.service_center_name.localeCompare(b.service_center_name))
    return slots.slice(0, options.limit ?? slots.length).map(({ at: _at, ...slot }) => slot)
  }

  async bookAppointment(
    slot: Date | string,
    vehicleId: string,
    options: BookOptions = {},
  ): Promise<BookResult> {
    const { createdBy, idempotencyKey } = options
    // A retried request returns what the first one booked, even if its slot has passed since.
    if (createdBy && idempotencyKey) {
      const earlier = await this.bookings.findByIdempotencyKey(createdBy, idempotencyKey)
      if (earlier) return { booking: earlier, replayed: true }
    }

    const at = toDate(slot, 'The slot')
    const now = this.now()
    if (at.getTime() < now.getTime()) {
      throw new AppError('SLOT_UNAVAILABLE', `The slot ${at.toISOString()} is in the past`)
    }
    if (at.getTime() < now.getTime() + BOOKING_LEAD_MS) {
      throw new AppError(
        'SLOT_UNAVAILABLE',
        `The slot ${at.toISOString()} starts too soon: book at least ${BOOKING_LEAD_MS / 60_000} minutes ahead`,
      )
    }

    const centers = await this.centersFor(options.serviceCenterId)
    const problems = centers.map((c) => gridProblem(c, at))
    const candidates = centers.filter((_, i) => problems[i] === undefined)
    if (candidates.length === 0) {
      const reason =
        centers.length === 1 ? problems[0] : `No service centre has a slot at ${at.toISOString()}`
      throw new AppError('SLOT_UNAVAILABLE', reason)
    }

    for (const center of candidates) {
      const result = await this.bookAtCenter(center, at, vehicleId, options)
      if (result) return result
    }
    // Every bay went to someone else; if one of them was our own concurrent twin, that is the answer.
    if (createdBy && idempotencyKey) {
      const twin = await this.bookings.findByIdempotencyKey(createdBy, idempotencyKey)
      if (twin) return { booking: twin, replayed: true }
    }
    throw new AppError('SLOT_TAKEN', `Every bay is taken at ${at.toISOString()}; pick another slot`)
  }

  /** Tries the free bays lowest first; undefined when every bay is taken. */
  private async bookAtCenter(
    center: ServiceCenter,
    at: Date,
    vehicleId: string,
    options: BookOptions,
  ): Promise<BookResult | undefined> {
    const taken = new Set(await this.bookings.takenBays(center.id, at))
    for (let bay = 1; bay <= center.bays; bay++) {
      if (taken.has(bay)) continue
      try {
        const booking = await this.bookings.createBooking(vehicleId, at, options.status ?? 'PENDING', {
          serviceCenterId: center.id,
          bay,
          notes: options.notes ?? null,
          source: options.source ?? 'customer',
          anomalyEventId: options.anomalyEventId ?? null,
          createdBy: options.createdBy ?? null,
          idempotencyKey: options.idempotencyKey ?? null,
        })
        return { booking, replayed: false }
      } catch (err) {
        if (isUniqueViolation(err, BAY_INDEX)) continue
        if (isUniqueViolation(err, IDEMPOTENCY_INDEX) && options.createdBy && options.idempotencyKey) {
          const twin = await this.bookings.findByIdempotencyKey(options.createdBy, options.idempotencyKey)
          if (twin) return { booking: twin, replayed: true }
        }
        throw err
      }
    }
    return undefined
  }

  /** The named centre, or all of them by name. */
  private async centersFor(centerId: string | undefined): Promise<ServiceCenter[]> {
    if (centerId === undefined) return this.centers.listCenters()
    const center = await this.centers.getCenter(centerId)
    if (!center) throw new AppError('SERVICE_CENTER_NOT_FOUND')
    return [center]
  }
}
