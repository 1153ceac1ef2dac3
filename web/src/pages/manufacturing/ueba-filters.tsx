import { query } from '../../lib/api'
import type { UebaLog } from '../../lib/types'

const AGENTS = [
  'data_analysis',
  'diagnosis',
  'customer_engagement',
  'scheduling',
  'rca',
  'customer',
  'service',
  'manufacturer',
  'device',
  'anonymous',
  'system',
]
const ACTIONS = [
  'transition',
  'write',
  'read',
  'run',
  'ueba_response',
  'api_request',
  'login',
  'device_auth',
  'mqtt_publish',
  'mqtt_subscribe',
  'ws_connect',
  'ws_subscribe',
  'ws_chat',
  'admin_action',
]
export const FILTER_KEYS = ['agent', 'action', 'decision', 'source', 'from', 'to'] as const
export type UebaFilter = Record<(typeof FILTER_KEYS)[number], string>

/** `datetime-local` (the browser's zone) to ISO and back; '' stays ''. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '')
function toLocal(iso: string): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function apiQuery(f: UebaFilter, extra: Record<string, string | number | undefined> = {}) {
  return query({
    limit: 50,
    agent: f.agent,
    action: f.action,
    status: f.decision,
    drill: f.source === 'drill' ? 'true' : f.source === 'real' ? 'false' : undefined,
    from: f.from,
    to: f.to,
    ...extra,
  })
}

/** Whether a row that arrives live belongs in the filtered list. */
export function matches(f: UebaFilter, log: UebaLog): boolean {
  if (f.agent && log.agent_name !== f.agent) return false
  if (f.action && log.action_type !== f.action) return false
  if (f.decision && log.status !== f.decision) return false
  if (f.source === 'drill' && !log.drill) return false
  if (f.source === 'real' && log.drill) return false
  if (f.from && log.timestamp < f.from) return false
  return !f.to
}

function Select({
  label,
  value,
  options,
  onChange,
}: {
  label: string
  value: string
  options: Array<[string, string]>
  onChange: (v: string) => void
}) {
  return (
    <label class="field-inline">
      <span>{label}</span>
      <select class="input" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">any</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  )
}

export function UebaFilters({
  filter,
  set,
}: {
  filter: UebaFilter
  set: (patch: Partial<UebaFilter>) => void
}) {
  const active = FILTER_KEYS.some((k) => filter[k])
  return (
    <div class="filters ueba-filters" data-testid="ueba-filters">
      <Select
        label="Agent"
        value={filter.agent}
        options={AGENTS.map((a) => [a, a])}
        onChange={(agent) => set({ agent })}
      />
      <Select
        label="Action"
        value={filter.action}
        options={ACTIONS.map((a) => [a, a])}
        onChange={(action) => set({ action })}
      />
      <Select
        label="Status"
        value={filter.decision}
        options={[
          ['BLOCKED', 'blocked'],
          ['ALLOWED', 'allowed'],
        ]}
        onChange={(decision) => set({ decision })}
      />
      <Select
        label="Drill or real"
        value={filter.source}
        options={[
          ['real', 'real events'],
          ['drill', 'drills'],
        ]}
        onChange={(source) => set({ source })}
      />
      <label class="field-inline">
        <span>From</span>
        <input
          class="input"
          type="datetime-local"
          value={toLocal(filter.from)}
          onChange={(e) => set({ from: toIso(e.currentTarget.value) })}
        />
      </label>
      <label class="field-inline">
        <span>To</span>
        <input
          class="input"
          type="datetime-local"
          value={toLocal(filter.to)}
          onChange={(e) => set({ to: toIso(e.currentTarget.value) })}
        />
      </label>
      {active && (
        <button
          type="button"
          class="btn btn-ghost btn-small"
          onClick={() => set(Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])))}
        >
          Clear filters
        </button>
      )}
    </div>
  )
}
