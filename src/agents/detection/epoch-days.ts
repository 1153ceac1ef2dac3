/**
 * Days since the Unix epoch of an ISO-8601 timestamp, NaN when unusable. A hand-rolled parser for the
 * `YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]` form readings use: `Date.parse` costs ~0.4 us, a fifth of a
 * whole analysis. Anything else falls back to `Date.parse`.
 */
export function isoToEpochDays(iso: string): number {
  const n = iso.length
  if (n >= 20 && iso.charCodeAt(4) === 45 && iso.charCodeAt(7) === 45 && iso.charCodeAt(13) === 58) {
    const y = digits(iso, 0, 4)
    const mo = digits(iso, 5, 2)
    const d = digits(iso, 8, 2)
    const h = digits(iso, 11, 2)
    const mi = digits(iso, 14, 2)
    const s = digits(iso, 17, 2)
    let i = 19
    let frac = 0
    if (iso.charCodeAt(i) === 46) {
      let scale = 0.1
      i++
      for (let c = iso.charCodeAt(i); c >= 48 && c <= 57; c = iso.charCodeAt(++i)) {
        frac += (c - 48) * scale
        scale /= 10
      }
    }
    let offsetMin = Number.NaN
    const z = iso.charCodeAt(i)
    if ((z === 90 || z === 122) && i === n - 1) offsetMin = 0
    else if ((z === 43 || z === 45) && i === n - 6 && iso.charCodeAt(i + 3) === 58) {
      offsetMin = (z === 45 ? -1 : 1) * (digits(iso, i + 1, 2) * 60 + digits(iso, i + 4, 2))
    }
    const valid =
      !Number.isNaN(y) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 24 && mi <= 59 && s <= 60
    if (valid && !Number.isNaN(offsetMin)) {
      const seconds = h * 3600 + mi * 60 + s + frac - offsetMin * 60
      return daysFromCivil(y, mo, d) + seconds / 86400
    }
  }
  return Date.parse(iso) / 86_400_000
}

function digits(s: string, at: number, count: number): number {
  let v = 0
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i) - 48
    if (c < 0 || c > 9) return Number.NaN
    v = v * 10 + c
  }
  return v
}

/** Howard Hinnant's days-from-civil: proleptic Gregorian date to days since 1970-01-01. */
function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
