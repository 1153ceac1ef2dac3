/**
 * What a customer's chat message asks for, decided by keywords and patterns only: the same words
 * always get the same intent, and no model ever decides a booking.
 */

import { wallClock } from '../../lib/zoned-time.js'

export type ChatIntent =
  | 'help'
  | 'approve'
  | 'pick_slot'
  | 'decline'
  | 'status'
  | 'booking'
  | 'thanks'
  | 'fallback'

/** How the customer named a slot: an exact instant, its number in the last offer, or a time of day. */
export type SlotPick =
  | { kind: 'exact'; at: Date }
  | { kind: 'ordinal'; index: number }
  | {
      kind: 'time'
      hour: number
      minute: number
      utc: boolean
      day?: { offset: number } | { weekday: number }
    }

export interface DetectedIntent {
  intent: ChatIntent
  pick?: SlotPick
  /** "yes"/"ok": an answer to an offer, not a request to book out of the blue. */
  weak?: boolean
  /** An explicit "cancel", which may also cancel a confirmed booking. */
  cancel?: boolean
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const DAY =
  /\b(today|tonight|tomorrow|mon(?:day)?|tues?(?:day)?|wed(?:nesday)?|thu(?:rs?)?(?:day)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\b/
/** An explicit clock time first ("10:30", "3pm"), then an hour after a day or "at" ("tomorrow 9"). */
const CLOCKS = [
  /\b(?<h>\d{1,2})[:.](?<m>\d{2})\s*(?<ampm>am|pm)?\b/,
  /\b(?<h>\d{1,2})\s*(?<ampm>am|pm)\b/,
  /\bat\s+(?<h>\d{1,2})\b(?![:.]\d)/,
]
const DAY_HOUR = new RegExp(`${DAY.source}\\s+(?:at\\s+)?(?<h>\\d{1,2})\\b(?![:.]\\d)`)
const ORDINALS: Record<string, number> = { first: 1, second: 2, third: 3, '1st': 1, '2nd': 2, '3rd': 3 }

function parsePick(text: string, original: string): SlotPick | undefined {
  const iso = original.match(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/i)
  if (iso && !Number.isNaN(Date.parse(iso[0]))) return { kind: 'exact', at: new Date(iso[0]) }
  const ord =
    text.match(/\b(?:slot|option|choice|number)\s*#?\s*(\d{1,2})\b/) ??
    text.match(/^\s*#?(\d)\s*[.!]?\s*$/) ??
    text.match(/\b(first|second|third|1st|2nd|3rd)\s+(?:one|slot|option)\b/) ??
    text.match(/^\s*(?:the\s+)?(first|second|third)(?:\s+one)?\s*[.!]?\s*$/)
  if (ord) return { kind: 'ordinal', index: (ORDINALS[ord[1]!] ?? Number(ord[1])) - 1 }
  const day = text.match(DAY)?.[1]
  const clock =
    CLOCKS.map((re) => text.match(re)).find((m) => m !== null) ?? (day ? text.match(DAY_HOUR) : null)
  if (!clock?.groups) return undefined
  const { h, m, ampm } = clock.groups
  let hour = Number(h)
  const minute = Number(m || 0)
  if (ampm === 'pm' && hour < 12) hour += 12
  if (ampm === 'am' && hour === 12) hour = 0
  // Service centres open 07:00-19:00, so "tomorrow 3" means the afternoon.
  if (!ampm && !m && hour < 7) hour += 12
  if (hour > 23 || minute > 59) return undefined
  const dayOf = (d: string) =>
    d === 'today' || d === 'tonight'
      ? { offset: 0 }
      : d === 'tomorrow'
        ? { offset: 1 }
        : { weekday: WEEKDAYS.indexOf(d.slice(0, 3)) }
  return { kind: 'time', hour, minute, utc: /\b(utc|gmt)\b/.test(text), ...(day ? { day: dayOf(day) } : {}) }
}

/** Deterministic intent of a customer's message: keywords and patterns, first match wins. */
export function detectIntent(content: string): DetectedIntent {
  const text = content.toLowerCase().replace(/[’‘]/g, "'").replace(/\s+/g, ' ').trim()
  if (/\b(cancel|decline|don'?t book|do not book)\b/.test(text)) {
    return { intent: 'decline', cancel: /\bcancel\b/.test(text) }
  }
  const pick = parsePick(text, content)
  if (pick) return { intent: 'pick_slot', pick }
  if (/^(no|nope|nah)\b|\b(not now|not yet|not today|maybe later|no thanks|skip it)\b/.test(text)) {
    return { intent: 'decline' }
  }
  if (
    /\bwhat (should|do|can|must) i do\b|\bwhat to do\b|\bwhat (now|next)\b|\bhelp\b|\badvi[cs]e\b|\brecommend|\bsuggest/.test(
      text,
    )
  ) {
    return { intent: 'help' }
  }
  if (
    /\b(when|what time|which day|where)\b.*\b(appointment|booking|service)\b|\b(is|has) my (appointment|booking)\b|\bdo i have an? (appointment|booking)\b|\bstatus of (my |the )?(appointment|booking)\b|^(my )?(appointment|booking)s?\??$/.test(
      text,
    )
  ) {
    return { intent: 'booking' }
  }
  if (
    /\bhow('?s| is| are) (my|the) (car|vehicle|ev|van|battery|motor|brakes?|tires?|tyres?)\b|\bis it (safe|ok|okay|dangerous)\b|\bsafe to drive\b|\bcan i (still )?drive\b|\bstatus\b|\bhealth\b|\bwhat('?s| is) wrong\b|\bany (problems?|issues?)\b/.test(
      text,
    )
  ) {
    return { intent: 'status' }
  }
  if (/\b(approve|accept|confirm|book|schedule|go ahead|please do|do it|let'?s do it)\b/.test(text)) {
    return { intent: 'approve' }
  }
  if (/^(yes|yeah|yep|yup|sure|ok|okay|y|sounds good|fine|alright)\b/.test(text)) {
    return { intent: 'approve', weak: true }
  }
  if (/\b(thanks|thank you|thx|cheers|great|perfect)\b/.test(text)) return { intent: 'thanks' }
  return { intent: 'fallback' }
}

/** The calendar day, hour, minute and weekday of an instant in a zone. */
function wall(at: Date, timeZone: string) {
  const w = wallClock(at, timeZone)
  return { date: `${w.year}-${w.month}-${w.day}`, hour: w.hour, minute: w.minute, weekday: w.weekday }
}

/** Whether a slot starting at `start` is the time the customer named, read in the centre's zone. */
export function matchesTime(
  start: string,
  timeZone: string,
  pick: Extract<SlotPick, { kind: 'time' }>,
  now: Date,
): boolean {
  const tz = pick.utc ? 'UTC' : timeZone
  const w = wall(new Date(start), tz)
  if (w.hour !== pick.hour || w.minute !== pick.minute) return false
  if (!pick.day) return true
  if ('weekday' in pick.day) return w.weekday === pick.day.weekday
  return w.date === wall(new Date(now.getTime() + pick.day.offset * 86_400_000), tz).date
}
