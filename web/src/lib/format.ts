import { type RulWords, formatRul as sharedFormatRul } from '../../../src/lib/rul-format.js'
import { SIGNAL_RANGES } from '../../../src/schemas/signal-ranges.js'
import type { Severity } from './types'

const dateTime = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
})
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d)
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : time.format(d)
}

/** Time only for today, date and time otherwise: compact enough for a log table. */
export function formatStamp(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toDateString() === now.toDateString() ? time.format(d) : dateTime.format(d)
}

export function formatNumber(value: unknown, digits = 1): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—'
}

/**
 * An alarm's remaining-useful-life estimate in the agents' own words; a bare number of days (an
 * older row) reads as its median alone.
 */
export function formatRul(rul: RulWords | number | null | undefined): string {
  const estimate =
    typeof rul === 'number'
      ? { rul_days: rul, rul_low_days: null, rul_high_days: null, rul_method: null }
      : rul
  return sharedFormatRul(estimate) ?? 'unknown'
}

const PERCENT_UNITS = new Set(['fraction', 'fraction worn', 'probability'])
/** Units the reader does not need spelled out after a number. */
const NO_UNIT = new Set(['category', 'index', 'score'])

/**
 * A sensor value with its unit, from the table that also bounds what a measurement can be
 * (`SIGNAL_RANGES`): `46.2 °C`, `81 %` for a stored fraction, `3.1 g`. Unknown fields stay bare.
 */
export function formatMeasure(field: string, value: unknown, digits = 1): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—'
  const unit = (SIGNAL_RANGES as Record<string, { unit: string } | undefined>)[field]?.unit
  if (unit && PERCENT_UNITS.has(unit)) return `${(value * 100).toFixed(0)} %`
  const text = value.toFixed(digits)
  return unit && !NO_UNIT.has(unit) ? `${text} ${unit}` : text
}

export function formatPercent(value: number | null | undefined): string {
  return typeof value === 'number' ? `${Math.round(value * 100)}%` : '—'
}

export function severityClass(severity: Severity | string | null | undefined): string {
  return `sev sev-${(severity ?? 'none').toString().toLowerCase()}`
}

const ACRONYMS: Record<string, string> = {
  soc: 'SoC',
  soh: 'SoH',
  rul: 'RUL',
  ttf: 'TTF',
  rpm: 'RPM',
  vin: 'VIN',
}

/** `battery_temperature` -> `Battery temperature`, `motor_rpm` -> `Motor RPM`. */
export function humanize(key: string): string {
  const words = key.split('_').map((w) => ACRONYMS[w.toLowerCase()] ?? w)
  const s = words.join(' ')
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** Local day [start, end) as ISO strings, from an `<input type=date>` value. */
export function dayRange(day: string): { from: string; to: string } | null {
  const [y, m, d] = day.split('-').map(Number)
  if (!y || !m || !d) return null
  const start = new Date(y, m - 1, d)
  const end = new Date(y, m - 1, d + 1)
  return { from: start.toISOString(), to: end.toISOString() }
}
