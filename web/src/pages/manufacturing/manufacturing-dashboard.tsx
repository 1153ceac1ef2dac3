import { useEffect, useRef, useState } from 'preact/hooks'
import { ErrorState, Loading } from '../../components/states'
import { api, downloadFile, query } from '../../lib/api'
import { formatDateTime, formatPercent } from '../../lib/format'
import { useAsync, useSocketMessage, useThrottled } from '../../lib/hooks'
import { linkClick } from '../../lib/router'
import type { Insight, InsightSummary } from '../../lib/types'
import { EvidenceView } from './evidence-view'
import { FailureMatrix } from './failure-matrix'
import { InsightCards } from './insight-cards'
import { UebaView } from './ueba-view'

/** Insights have no push message of their own: refetch on the hints below, and poll as a fallback. */
const POLL_MS = 20_000

function InsightDetail({ insight }: { insight: Insight }) {
  return (
    <section class="card" aria-labelledby="insight-title" data-testid="insight-detail">
      <a
        class="back"
        href="/dashboard/manufacturing"
        onClick={(e) => linkClick(e, '/dashboard/manufacturing')}
      >
        ← All insights
      </a>
      <p class="eyebrow">
        {insight.component_name}
        {insight.affected_batch ? ` · batch ${insight.affected_batch}` : ''}
      </p>
      <h2 id="insight-title">{insight.failure_pattern}</h2>
      {insight.recommendation && (
        <p class="recommendation">
          <strong>Recommendation:</strong> {insight.recommendation}
        </p>
      )}
      <dl class="facts">
        <div>
          <dt>Events</dt>
          <dd>{insight.event_count}</dd>
        </div>
        <div>
          <dt>Confidence</dt>
          <dd>{formatPercent(insight.confidence_score)}</dd>
        </div>
        <div>
          <dt>First seen</dt>
          <dd>{formatDateTime(insight.created_at)}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>{formatDateTime(insight.updated_at)}</dd>
        </div>
      </dl>
      <h3 class="subhead">Evidence</h3>
      <EvidenceView value={insight.evidence} />
    </section>
  )
}

export function ManufacturingDashboard({ insightId }: { insightId: string | null }) {
  const [filter, setFilter] = useState({ component: '', batch: '' })
  const [exporting, setExporting] = useState<string | null>(null)
  const q = query({ component: filter.component, batch: filter.batch })
  const insights = useAsync((signal) => api<Insight[]>(`/api/insights${q}`, { signal }), [q])
  const summary = useAsync((signal) => api<InsightSummary>('/api/insights/summary', { signal }), [])

  const refresh = useRef(() => {})
  refresh.current = () => {
    insights.reload()
    summary.reload()
  }
  useEffect(() => {
    const id = setInterval(() => refresh.current(), POLL_MS)
    return () => clearInterval(id)
  }, [])
  // A new alert usually means a new diagnosis, and soon a new or stronger insight.
  // The UEBA log says when the RCA agent is allowed to write insights: that is the moment to refetch.
  // A new alert usually leads there too, a moment later.
  const refreshSoon = useThrottled(() => refresh.current(), 1500)
  useSocketMessage('ueba', (log) => {
    if (log.target_node === 'manufacturing_insights' && log.status === 'ALLOWED') refreshSoon()
  })
  useSocketMessage('alert', refreshSoon)

  const exportCsv = async () => {
    setExporting('Preparing…')
    try {
      await downloadFile(`/api/insights/export.csv${q}`, 'autonoma-insights.csv')
      setExporting(null)
    } catch (err) {
      setExporting(`Export failed: ${(err as Error).message}`)
    }
  }

  if (insightId) {
    if (insights.error) return <ErrorState error={insights.error} onRetry={insights.reload} />
    if (!insights.data) return <Loading />
    const insight = insights.data.find((i) => i.id === insightId)
    if (!insight) {
      return (
        <section class="card">
          <h2>Insight not found</h2>
          <p>It may have been merged into another pattern.</p>
          <a href="/dashboard/manufacturing" onClick={(e) => linkClick(e, '/dashboard/manufacturing')}>
            All insights
          </a>
        </section>
      )
    }
    return <InsightDetail insight={insight} />
  }

  return (
    <div class="layout-manufacturing">
      <section class="card span-all" aria-labelledby="insights-title">
        <div class="card-head">
          <h2 id="insights-title">Top recurring failures</h2>
          <div class="row-actions">
            {(filter.component || filter.batch) && (
              <button
                type="button"
                class="btn btn-ghost btn-small"
                onClick={() => setFilter({ component: '', batch: '' })}
              >
                Clear filter ({[filter.component, filter.batch].filter(Boolean).join(', ')})
              </button>
            )}
            <button
              type="button"
              class="btn btn-small"
              onClick={exportCsv}
              disabled={exporting === 'Preparing…'}
            >
              Export CSV
            </button>
          </div>
        </div>
        {exporting && <p class="small muted">{exporting}</p>}
        <InsightCards insights={insights} />
      </section>
      <section class="card" aria-labelledby="matrix-title">
        <h2 id="matrix-title">Failures by component and batch</h2>
        <p class="small muted">Select a cell to filter the insights.</p>
        <FailureMatrix
          summary={summary}
          selected={filter}
          onSelect={(component, batch) => setFilter({ component, batch })}
        />
      </section>
      <UebaView />
    </div>
  )
}
