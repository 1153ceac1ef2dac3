import type { ServiceCentersRepository } from '../db/repositories/service-centers.js'
import type { ServiceCenter } from '../db/schema.js'
import { AppError } from '../errors.js'
import { wallClock, zonedTimeToUtc } from '../lib/zoned-time.js'

/**
 * A centre's slot grid: starts every `slot_minutes` from opening to the last full slot, in the
 * centre's own time zone. Offering slots (the scheduling agent) and booking one (the booking
 * service) must agree on it, so both read it from here.
 */

/** Nobody should be offered, or book, a slot that starts in a few minutes. */
export const BOOKING_LEAD_MS = 60 * 60 * 1000
export const DAY_MS = 24 * 60 * 60 * 1000

function hhmm(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`
}

export function toDate(value: Date | string, what: string): Date {
  const d = value instanceof Date ? new Date(value.getTime()) : new Date(value)
  if (Number.isNaN(d.getTime()))
    throw new AppError('SLOT_UNAVAILABLE', `${what} is not a valid date and time`)
  return d
}

/** Every grid start of a centre in [from, to), in its own time zone. */
export function centerSlotStarts(center: ServiceCenter, from: Date, to: Date): Date[] {
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

/** Throws SLOT_UNAVAILABLE for a slot in the past or inside the lead time. */
export function assertBookableTime(at: Date, now: Date): void {
  if (at.getTime() < now.getTime()) {
    throw new AppError('SLOT_UNAVAILABLE', `The slot ${at.toISOString()} is in the past`)
  }
  if (at.getTime() < now.getTime() + BOOKING_LEAD_MS) {
    throw new AppError(
      'SLOT_UNAVAILABLE',
      `The slot ${at.toISOString()} starts too soon: book at least ${BOOKING_LEAD_MS / 60_000} minutes ahead`,
    )
  }
}

/** The centres that have a slot starting at `at`; throws SLOT_UNAVAILABLE with the reason if none. */
export function centersWithSlotAt(centers: ServiceCenter[], at: Date): ServiceCenter[] {
  const problems = centers.map((c) => gridProblem(c, at))
  const candidates = centers.filter((_, i) => problems[i] === undefined)
  if (candidates.length === 0) {
    const reason = centers.length === 1 ? problems[0] : `No service centre has a slot at ${at.toISOString()}`
    throw new AppError('SLOT_UNAVAILABLE', reason)
  }
  return candidates
}

/** The named centre, or all of them by name. */
export async function centersFor(
  repo: ServiceCentersRepository,
  centerId: string | undefined,
): Promise<ServiceCenter[]> {
  if (centerId === undefined) return repo.listCenters()
  const center = await repo.getCenter(centerId)
  if (!center) throw new AppError('SERVICE_CENTER_NOT_FOUND')
  return [center]
}
