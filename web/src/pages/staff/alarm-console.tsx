import { alertHeadline } from '../../../../src/lib/alert-headline.js'
import { ListStates } from '../../components/states'
import {
  ALARM_STATUSES,
  type AlarmFilters,
  ageLabel,
  apiParams,
  DEFAULT_FILTERS,
  filtersFromQuery,
  filtersToQuery,
  isVin,
  SEVERITY_ORDER,
} from '../../lib/alarm-filters'
import { api, query } from '../../lib/api'
import { humanize, severityClass } from '../../lib/format'
import { useAsync, useSocketMessage, useThrottled } from '../../lib/hooks'
import { navigate, useLocation } from '../../lib/router'
import type { Alarm, AlarmCounts, RuleThreshold, ServiceCenter } from '../../lib/types'
import { AlarmRow } from './alarm-row'
import { CriticalWatch } from './critical-watch'

/**
 * Every alarm staff may see, filtered (status, severity, type, vehicle, centre, detection time: all
 * kept in the URL), worst and longest waiting first, with the count per severity in the header.
 * Live: an alert or an alarm change refetches the list and the counts (once per burst).
 */
export function AlarmConsole({ base, vehicleHref }: { base: string; vehicleHref?: (vin: string) => string }) {
  const { query: q } = useLocation()
  const filters = filtersFromQuery(q)
  const key = filtersToQuery(filters)
  const set = (patch: Partial<AlarmFilters>) =>
    navigate(`${base}${filtersToQuery({ ...filters, ...patch })}`, { replace: true })

  const list = useAsync(
    (signal) =>
      api<Alarm[]>(`/api/alarms${query({ ...apiParams(filters), sort: filters.sort, limit: 200 })}`, {
        signal,
      }),
    [key],
  )
  const counts = useAsync(
    (signal) => {
      const { severity: _s, ...rest } = apiParams(filters)
      return api<AlarmCounts>(`/api/alarms/counts${query(rest)}`, { signal })
    },
    [key],
  )
  const rules = useAsync((signal) => api<RuleThreshold[]>('/api/rules/thresholds', { signal }), [])
  const centres = useAsync((signal) => api<ServiceCenter[]>('/api/service-centers', { signal }), [])
  // Alarms carry the vehicles' clock (the replay's); their age is measured on it, not on the wall clock.
  const fleetNow = Math.max(0, ...(list.data ?? []).map((a) => Date.parse(a.last_seen_at)))

  const refresh = useThrottled(() => {
    list.reload()
    counts.reload()
  }, 1000)
  useSocketMessage('alert', refresh)
  useSocketMessage('alarm', refresh)

  const replace = (a: Alarm) => {
    list.setData((prev) => prev?.map((x) => (x.id === a.id ? a : x)))
    counts.reload()
  }
  const selected = new Set(filters.severity.split(',').filter(Boolean))
  const toggleSeverity = (s: string) => {
    const next = new Set(selected)
    if (next.has(s)) next.delete(s)
    else next.add(s)
    set({ severity: SEVERITY_ORDER.filter((x) => next.has(x)).join(',') })
  }
  const types = [
    ...(rules.data ?? []).map((r) => ({ type: r.type, label: r.label })),
    { type: 'data_quality', label: 'Data quality' },
  ]

  return (
    <section class="card" aria-labelledby="alarms-title" data-testid="alarm-console">
      <div class="card-head">
        <h2 id="alarms-title">Alarms</h2>
        <CriticalWatch />
      </div>
      <fieldset class="sev-counts">
        <legend class="visually-hidden">Alarms per severity; press one to filter</legend>
        {SEVERITY_ORDER.map((s) => (
          <button
            key={s}
            type="button"
            class={`sev-count ${severityClass(s)}`}
            aria-pressed={selected.has(s)}
            data-severity={s}
            onClick={() => toggleSeverity(s)}
          >
            <span class="sev-count-n">{counts.data?.by_severity[s] ?? '…'}</span> {s}
          </button>
        ))}
        <span class="small muted" data-testid="alarm-total">
          {counts.data ? `${counts.data.total} matching` : ''}
        </span>
      </fieldset>
      <div class="filters alarm-filters">
        <label class="field field-inline">
          <span>Status</span>
          <select
            class="input"
            value={filters.status}
            onChange={(e) => set({ status: e.currentTarget.value })}
          >
            <option value="OPEN,ACKNOWLEDGED">Unresolved</option>
            {ALARM_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s.toLowerCase())}
              </option>
            ))}
            <option value="">Any</option>
          </select>
        </label>
        <label class="field field-inline">
          <span>Type</span>
          <select class="input" value={filters.type} onChange={(e) => set({ type: e.currentTarget.value })}>
            <option value="">Any type</option>
            {types.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <label class="field field-inline">
          <span>Vehicle</span>
          <input
            class="input input-vin"
            value={filters.vin}
            placeholder="VIN"
            maxLength={17}
            onChange={(e) => set({ vin: e.currentTarget.value.trim().toUpperCase() })}
          />
        </label>
        <label class="field field-inline">
          <span>Centre</span>
          <select
            class="input"
            value={filters.center}
            onChange={(e) => set({ center: e.currentTarget.value })}
          >
            <option value="">Any centre</option>
            {(centres.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field field-inline">
          <span>From</span>
          <input
            class="input"
            type="datetime-local"
            value={filters.from}
            onChange={(e) => set({ from: e.currentTarget.value })}
          />
        </label>
        <label class="field field-inline">
          <span>To</span>
          <input
            class="input"
            type="datetime-local"
            value={filters.to}
            onChange={(e) => set({ to: e.currentTarget.value })}
          />
        </label>
        <label class="field field-inline">
          <span>Sort</span>
          <select
            class="input"
            value={filters.sort}
            onChange={(e) => set({ sort: e.currentTarget.value as AlarmFilters['sort'] })}
          >
            <option value="severity">Severity, then longest waiting</option>
            <option value="newest">Newest first</option>
            <option value="oldest">Oldest first</option>
          </select>
        </label>
        {key !== filtersToQuery(DEFAULT_FILTERS) && (
          <button
            type="button"
            class="btn btn-ghost btn-small"
            onClick={() => navigate(base, { replace: true })}
          >
            Reset filters
          </button>
        )}
      </div>
      {filters.vin && !isVin(filters.vin) && (
        <p class="inline-error" role="alert">
          A VIN has 17 letters and digits (no I, O or Q); the vehicle filter is not applied.
        </p>
      )}
      {list.error && list.data && <p class="inline-error">Could not refresh: {list.error.message}</p>}
      <ListStates state={list} empty="No alarms match these filters.">
        {(items) => (
          <ul class="alarm-list" data-testid="alarm-list">
            {items.map((a) => (
              <AlarmRow
                key={a.id}
                alarm={a}
                headline={alertHeadline(a.anomaly_type, a.signals)}
                age={ageLabel(
                  Date.parse(a.detected_at),
                  a.status === 'RESOLVED' ? Date.parse(a.last_seen_at) : fleetNow,
                )}
                vehicleHref={vehicleHref}
                onChanged={replace}
              />
            ))}
          </ul>
        )}
      </ListStates>
    </section>
  )
}
