/**
 * Cell parsing for telemetry CSV files, on the hot path of loading (5 million cells per file).
 *
 * Timestamps: the files carry `YYYY-MM-DD HH:MM:SS` without a zone, which we read as UTC;
 * ISO-8601 (`T`, fractional seconds, `Z` or an offset) is accepted too. `Date.parse` is not used: it reads zone-less ISO times as local time and silently rolls
 * `2020-02-31` over into March, and both would corrupt a replay without any error.
 */

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29
  return DAYS_IN_MONTH[month - 1] ?? 0
}

/** Epoch ms for a validated UTC calendar time, or NaN when any field is out of range. */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return Number.NaN
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms)
  // Date.UTC maps years 0-99 to 1900-1999; put the year back where the file said it was.
  return y < 100 ? new Date(t).setUTCFullYear(y) : t
}

/** Two ASCII digits at `i`, or -1000 (so a range check fails) when either is not a digit. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1000
}

/** Epoch milliseconds (UTC) of a timestamp cell, or NaN when it is not a valid timestamp. */
export function parseTimestamp(text: string): number {
  // Fast path for the exact layout the files use: no regex, no allocation.
  if (
    text.length === 19 &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(7) === 45 &&
    (text.charCodeAt(10) === 32 || text.charCodeAt(10) === 84) &&
    text.charCodeAt(13) === 58 &&
    text.charCodeAt(16) === 58
  ) {
    const century = twoDigits(text, 0)
    const year = twoDigits(text, 2)
    if (century < 0 || year < 0) return Number.NaN
    return utcMs(
      century * 100 + year,
      twoDigits(text, 5),
      twoDigits(text, 8),
      twoDigits(text, 11),
      twoDigits(text, 14),
      twoDigits(text, 17),
      0,
    )
  }
  const m = ISO_PATTERN.exec(text.trim())
  if (!m) return Number.NaN
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m
  const ms = frac === '' ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'))
  const t = utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), ms)
  if (zone === 'Z' || zone === 'z') return t
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const offH = Number(digits.slice(0, 2))
  const offM = digits.length > 2 ? Number(digits.slice(2)) : 0
  if (offH > 23 || offM > 59) return Number.NaN
  return t - sign * (offH * 60 + offM) * 60_000
}

/** Exact powers of ten; every one up to 1e22 is a double without rounding. */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i)

/** Number(text), except that blank, non-numeric and infinite cells give NaN. */
function parseNumberSlow(text: string): number {
  const value = Number(text)
  // Number('') and Number('  ') are 0.
  if (value === 0 && text.trim() === '') return Number.NaN
  return Number.isFinite(value) ? value : Number.NaN
}

/**
 * The number in a cell, or NaN when the cell is blank, non-numeric (`n/a`, `abc`, `NaN`) or infinite.
 *
 * Why not just Number(): on 17-digit cells it costs ~140 ns, most of the load time. A plain
 * decimal with at most 15 digits is read here as an exact integer divided by an exact power of ten;
 * one IEEE division of exact operands is correctly rounded, so the result is bit-identical to
 * Number() (Clinger's fast path). Anything else (more digits, exponents, spaces) goes to Number().
 */
export function parseNumberCell(text: string): number {
  const length = text.length
  let i = 0
  let negative = false
  if (length > 0 && text.charCodeAt(0) === 45) {
    negative = true
    i = 1
  }
  let mantissa = 0
  let digits = 0
  let fractionDigits = 0
  let seenDot = false
  for (; i < length; i++) {
    const d = text.charCodeAt(i) - 48
    if (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d
      digits++
      if (seenDot) fractionDigits++
    } else if (d === -2 && !seenDot) {
      seenDot = true
    } else {
      return parseNumberSlow(text)
    }
  }
  if (digits === 0 || digits > 15) return parseNumberSlow(text)
  const value = fractionDigits === 0 ? mantissa : mantissa / POW10[fractionDigits]!
  return negative ? -value : value
}
