/**
 * Wall-clock time in an IANA time zone, with Intl only (no time-zone library): what a service
 * centre's opening hours and a customer's "tomorrow at 9" mean.
 */

const DAY_MS = 24 * 60 * 60 * 1000

export interface WallClock {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number
}

const QUARTER_HOUR_MS = 15 * 60 * 1000
const formatters = new Map<string, Intl.DateTimeFormat>()
const offsets = new Map<string, Map<number, number>>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/**
 * How far the zone's wall clock is ahead of UTC at that instant, in ms. `formatToParts` costs
 * microseconds and a run's slot search asks hundreds of times, so each offset is read once per
 * quarter hour of UTC and kept: every offset change since the 1970s happens on a UTC quarter
 * hour (offsets are multiples of 15 minutes and changes happen on the hour or half hour).
 */
function offsetMs(instant: number, timeZone: string): number {
  let byQuarter = offsets.get(timeZone)
  if (!byQuarter) {
    formatter(timeZone) // an unknown zone throws here, before anything is cached
    byQuarter = new Map()
    offsets.set(timeZone, byQuarter)
  }
  const quarter = Math.floor(instant / QUARTER_HOUR_MS)
  let offset = byQuarter.get(quarter)
  if (offset === undefined) {
    const start = quarter * QUARTER_HOUR_MS
    const parts: Record<string, number> = {}
    for (const p of formatter(timeZone).formatToParts(new Date(start)))
      if (p.type !== 'literal') parts[p.type] = Number(p.value)
    offset =
      Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - start
    // A year of quarter hours is 35,040 entries; a long-running process is not allowed to grow past that.
    if (byQuarter.size >= 40_000) byQuarter.clear()
    byQuarter.set(quarter, offset)
  }
  return offset
}

export function wallClock(date: Date, timeZone: string): WallClock {
  const instant = Math.floor(date.getTime() / 1000) * 1000
  const local = new Date(instant + offsetMs(instant, timeZone))
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: local.getUTCDay(),
  }
}

/** A calendar date as YYYY-MM-DD. */
export function dateKey(d: { year: number; month: number; day: number }): string {
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`
}

/** The local calendar day (YYYY-MM-DD) an instant falls on in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  return dateKey(wallClock(at, timeZone))
}

/**
 * The UTC instant of a local date and minute of day. A time skipped by a DST jump has none
 * (undefined); a time that happens twice (clocks going back) is its first occurrence.
 */
export function zonedTimeToUtc(
  date: { year: number; month: number; day: number },
  minuteOfDay: number,
  timeZone: string,
): Date | undefined {
  const wall = Date.UTC(date.year, date.month - 1, date.day, 0, minuteOfDay)
  // Zones change offset at most once a day, so the offsets a day either side cover every case.
  const candidates = [offsetMs(wall - DAY_MS, timeZone), offsetMs(wall + DAY_MS, timeZone)]
    .map((offset) => wall - offset)
    .filter((t) => t + offsetMs(t, timeZone) === wall)
  return candidates.length > 0 ? new Date(Math.min(...candidates)) : undefined
}

const labelFormats = new Map<string, Intl.DateTimeFormat>()

/** "Tue 5 Mar, 10:00 CET": a slot as the owner reads it, in the centre's own time zone. */
export function slotLabel(at: Date | string, timeZone = 'UTC'): string {
  let f = labelFormats.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
      timeZoneName: 'short',
    })
    labelFormats.set(timeZone, f)
  }
  return f.format(new Date(at))
}

/**
 * "Fri 5 Dec, 09:00 CET (Autonoma Service Hub North)": a slot with the centre it is at, in that
 * centre's zone. The one wording of an appointment in chat replies, the agent's proposal, booking
 * messages and the history, so a booking reads the same wherever the owner meets it.
 */
export function slotAtCentre(at: Date | string, timeZone: string | undefined, centre: string): string {
  return `${slotLabel(at, timeZone)} (${centre})`
}
