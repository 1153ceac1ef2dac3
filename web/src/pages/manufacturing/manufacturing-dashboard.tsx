import { useEffect, useRef, useState } from 'preact/hooks'
import { api, downloadFile, query } from '../../lib/api'
import { humanize } from '../../lib/format'
import { useAsync, useSocket, useSocketMessage, useThrottled } from '../../lib/hooks'
import type { FailureRates, Insight, InsightStatus } from '../../lib/types'
import { useUrlFilters } from '../../lib/url-state'
import { EntityRisk } from './entity-risk'
import { AffectedVehicles, FailureRateMatrix, RATE_UNIT, RateSeries } from './failure-rates'
import { ForecastView } from './forecast-view'
import { InsightCards } from './insight-cards'
import { InsightDetail } from './insight-detail'
import { STATUS_LABEL, STATUSES } from './insight-workflow'
import { UebaView } from './ueba-view'
import { VehicleFailures } from './vehicle-failures'

/** Insights have no push message of their own: refetch on the hints below, and poll as a fallback. */
const POLL_MS = 20_000
/** What this page draws live: never the fleet's telemetry. */
export const MANUFACTURING_TOPICS = ['alert', 'alarm', 'ueba', 'security']

function ExportButtons({ filter }: { filter: Record<string, string> }) {
  const [state, setState] = useState<string | null>(null)
  const active = Object.entries(filter).filter(([, v]) => v)
  const run = async (params: Record<string, string>) => {
    setState('Preparing…')
    try {
      await downloadFile(`/api/insights/export.csv${query(params)}`, 'autonoma-insights.csv')
      setState(null)
    } catch (err) {
      setState(`Export failed: ${(err as Error).message}`)
    }
  }
  const label = active
    .map(([k, v]) => `${k} ${k === 'status' ? STATUS_LABEL[v as InsightStatus] : v}`)
    .join(', ')
  return (
    <>
      {active.length > 0 && (
        <button
          type="button"
          class="btn btn-small"
          disabled={state === 'Preparing…'}
          onClick={() => run(filter)}
        >
          Export CSV: {label}
        </button>
      )}
      <button type="button" class="btn btn-small" disabled={state === 'Preparing…'} onClick={() => run({})}>
        {active.length > 0 ? 'Export CSV: all insights' : 'Export CSV'}
      </button>
      {state && <span class="small muted">{state}</span>}
    </>
  )
}

export function ManufacturingDashboard({
  insightId,
  vin,
}: {
  insightId: string | null
  vin?: string | null
}) {
  const socket = useSocket()
  useEffect(() => {
    if (!socket) return
    socket.subscribeTopics(MANUFACTURING_TOPICS)
    return () => socket.subscribeTopics([])
  }, [socket])
  if (insightId) return <InsightDetail insightId={insightId} />
  if (vin) return <VehicleFailures vin={vin} />
  return <Overview />
}

function Overview() {
  const [filter, setFilter] = useUrlFilters(['component', 'batch', 'status', 'period'] as const)
  const period = filter.period === 'day' ? 'day' : 'week'
  const listFilter = { component: filter.component, batch: filter.batch, status: filter.status }
  const q = query(listFilter)
  const insights = useAsync((signal) => api<Insight[]>(`/api/insights${q}`, { signal }), [q])
  const rates = useAsync(
    (signal) => api<FailureRates>(`/api/failure-rates${query({ period })}`, { signal }),
    [period],
  )

  const refresh = useRef(() => {})
  refresh.current = () => {
    insights.reload()
    rates.reload()
  }
  useEffect(() => {
    const id = setInterval(() => refresh.current(), POLL_MS)
    return () => clearInterval(id)
  }, [])
  // The UEBA log says when the RCA agent is allowed to write insights: that is the moment to refetch.
  // A new alert usually leads there too, a moment later.
  const refreshSoon = useThrottled(() => refresh.current(), 1500)
  useSocketMessage('ueba', (log) => {
    if (log.target_node === 'manufacturing_insights' && log.status === 'ALLOWED') refreshSoon()
  })
  useSocketMessage('alert', refreshSoon)

  const cell = filter.component && filter.batch ? { component: filter.component, batch: filter.batch } : null
  return (
    <div class="layout-manufacturing">
      <section class="card span-all" aria-labelledby="rates-title">
        <div class="card-head">
          <h2 id="rates-title">Failure rates by component and batch</h2>
          <label class="field-inline">
            <span>Per</span>
            <select
              class="input"
              value={period}
              onChange={(e) => setFilter({ period: e.currentTarget.value === 'day' ? 'day' : '' })}
            >
              <option value="week">week</option>
              <option value="day">day</option>
            </select>
          </label>
        </div>
        <p class="small muted">
          {RATE_UNIT}: failure episodes over the days each batch’s vehicles were observed. Select a cell for
          its trend and the vehicles behind it; it also filters the insights.
        </p>
        <FailureRateMatrix
          rates={rates}
          selected={{ component: filter.component, batch: filter.batch }}
          onSelect={(component, batch) => setFilter({ component, batch })}
        />
        {cell && rates.data && (
          <div class="rate-detail" data-testid="rate-detail">
            <h3 class="subhead">
              {humanize(cell.component)} in batch {cell.batch}
            </h3>
            <RateSeries rates={rates.data} component={cell.component} batch={cell.batch} />
            <AffectedVehicles component={cell.component} batch={cell.batch} />
          </div>
        )}
      </section>
      <section class="card span-all" aria-labelledby="insights-title">
        <div class="card-head">
          <h2 id="insights-title">Top recurring failures</h2>
          <div class="row-actions">
            <label class="field-inline">
              <span>Status</span>
              <select
                class="input"
                value={filter.status}
                onChange={(e) => setFilter({ status: e.currentTarget.value })}
              >
                <option value="">any</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {STATUS_LABEL[s]}
                  </option>
                ))}
              </select>
            </label>
            {(filter.component || filter.batch || filter.status) && (
              <button
                type="button"
                class="btn btn-ghost btn-small"
                onClick={() => setFilter({ component: '', batch: '', status: '' })}
              >
                Clear filters
              </button>
            )}
            <ExportButtons filter={listFilter} />
          </div>
        </div>
        <InsightCards insights={insights} />
      </section>
      <UebaView />
      <EntityRisk />
      <ForecastView />
    </div>
  )
}
