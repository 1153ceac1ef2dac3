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

const formatters = new Map<string, Intl.DateTimeFormat>()

export function wallClock(date: Date, timeZone: string): WallClock {
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
  const parts: Record<string, number> = {}
  for (const p of f.formatToParts(date)) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  const year = parts.year!
  const month = parts.month!
  const day = parts.day!
  return {
    year,
    month,
    day,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  }
}

/** How far the zone's wall clock is ahead of UTC at that instant, in ms. */
function offsetMs(instant: number, timeZone: string): number {
  const w = wallClock(new Date(instant), timeZone)
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return wall - Math.floor(instant / 1000) * 1000
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
