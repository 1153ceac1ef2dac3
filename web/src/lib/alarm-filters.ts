import type { Severity } from './types'

export const SEVERITY_ORDER: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low']
export const ALARM_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const
export const ALARM_SORTS = ['severity', 'newest', 'oldest'] as const

/** The console's filters, exactly as they stand in the page's URL (so a link or a reload keeps them). */
export interface AlarmFilters {
  status: string
  severity: string
  type: string
  vin: string
  center: string
  from: string
  to: string
  sort: (typeof ALARM_SORTS)[number]
}

/** Unresolved alarms, worst and longest waiting first: what a desk opens the console for. */
export const DEFAULT_FILTERS: AlarmFilters = {
  status: 'OPEN,ACKNOWLEDGED',
  severity: '',
  type: '',
  vin: '',
  center: '',
  from: '',
  to: '',
  sort: 'severity',
}

export function filtersFromQuery(q: URLSearchParams): AlarmFilters {
  const sort = q.get('sort')
  return {
    status: q.get('status') ?? DEFAULT_FILTERS.status,
    severity: q.get('severity') ?? '',
    type: q.get('type') ?? '',
    vin: q.get('vin') ?? '',
    center: q.get('center') ?? '',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
    sort: (ALARM_SORTS as readonly string[]).includes(sort ?? '')
      ? (sort as AlarmFilters['sort'])
      : DEFAULT_FILTERS.sort,
  }
}

/** Only what differs from the defaults goes in the URL. */
export function filtersToQuery(f: AlarmFilters): string {
  const q = new URLSearchParams()
  for (const key of Object.keys(f) as Array<keyof AlarmFilters>) {
    if (f[key] !== DEFAULT_FILTERS[key]) q.set(key, f[key])
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** A local `datetime-local` value as ISO, or undefined when empty or invalid. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** 17 letters and digits without I, O or Q (the server's rule). */
export function isVin(value: string): boolean {
  return /^[A-HJ-NPR-Z0-9]{17}$/.test(value.trim().toUpperCase())
}

/** The API query of the filters (the console's own names mapped to the API's). */
export function apiParams(f: AlarmFilters): Record<string, string | undefined> {
  return {
    status: f.status || undefined,
    severity: f.severity || undefined,
    type: f.type || undefined,
    // Half a VIN would be a 400: the console says so instead of asking.
    vin: isVin(f.vin) ? f.vin.trim().toUpperCase() : undefined,
    center_id: f.center || undefined,
    from: localToIso(f.from),
    to: localToIso(f.to),
  }
}

/** P1 (Critical) .. P4 (Low): the order the desk works in; an appointment without an alarm is P4. */
export function priorityOf(severity: Severity | null | undefined): 1 | 2 | 3 | 4 {
  return severity ? ((SEVERITY_ORDER.indexOf(severity) + 1) as 1 | 2 | 3 | 4) : 4
}

/** "3 h", "2 d": how long an alarm has waited, from its detection to `now` (both in ms). */
export function ageLabel(fromMs: number, nowMs: number): string {
  const min = Math.max(0, Math.round((nowMs - fromMs) / 60_000))
  if (min < 60) return `${min} min`
  const h = Math.round(min / 60)
  if (h < 48) return `${h} h`
  return `${Math.round(h / 24)} d`
}
