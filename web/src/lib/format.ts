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

export function formatRul(days: number | null | undefined): string {
  if (days === null || days === undefined || !Number.isFinite(days)) return 'unknown'
  if (days < 1) return 'under a day'
  return `${Math.round(days)} day${Math.round(days) === 1 ? '' : 's'}`
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
