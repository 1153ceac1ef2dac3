import { ErrorState, Loading } from '../../components/states'
import { api } from '../../lib/api'
import { formatDateTime, formatPercent } from '../../lib/format'
import { useAsync } from '../../lib/hooks'
import { linkClick } from '../../lib/router'
import type { InsightWithNotes } from '../../lib/types'
import { EvidenceView } from './evidence-view'
import { AffectedVehicles } from './failure-rates'
import { InsightWorkflow } from './insight-workflow'

const HOME = '/dashboard/manufacturing'

/** One insight: what was found, the workflow on it, the vehicles behind it and the evidence. */
export function InsightDetail({ insightId }: { insightId: string }) {
  const state = useAsync(
    (signal) => api<InsightWithNotes>(`/api/insights/${insightId}`, { signal }),
    [insightId],
  )
  const back = (
    <a class="back" href={HOME} onClick={(e) => linkClick(e, HOME)}>
      ← All insights
    </a>
  )
  if (state.error?.status === 404) {
    return (
      <section class="card">
        {back}
        <h2>Insight not found</h2>
        <p>It may have been merged into another pattern.</p>
      </section>
    )
  }
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />
  const insight = state.data
  if (!insight) return <Loading />
  return (
    <section class="card" aria-labelledby="insight-title" data-testid="insight-detail">
      {back}
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
      <InsightWorkflow insight={insight} onChanged={(next) => state.setData(() => next)} />
      <h3 class="subhead">Affected vehicles</h3>
      <AffectedVehicles component={insight.component_name} batch={insight.affected_batch ?? ''} />
      <h3 class="subhead">Evidence</h3>
      <EvidenceView value={insight.evidence} />
    </section>
  )
}
