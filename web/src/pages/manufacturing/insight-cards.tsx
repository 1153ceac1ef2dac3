import { ListStates } from '../../components/states'
import { formatDateTime, formatPercent } from '../../lib/format'
import type { AsyncState } from '../../lib/hooks'
import { linkClick } from '../../lib/router'
import type { Insight } from '../../lib/types'
import { StatusPill } from './insight-workflow'

/** Top recurring failures first: the patterns with the most events are the ones worth a CAPA. */
export function InsightCards({ insights }: { insights: AsyncState<Insight[]> }) {
  return (
    <ListStates
      state={insights}
      empty="No insights match. They appear when the RCA agent finds a failure that recurs across vehicles."
    >
      {(items) => (
        <ul class="insight-grid" data-testid="insight-cards">
          {[...items]
            .sort((a, b) => b.event_count - a.event_count)
            .map((i) => {
              const href = `/dashboard/manufacturing/insight/${encodeURIComponent(i.id)}`
              return (
                <li key={i.id} class="insight-card" data-insight-id={i.id} data-status={i.status}>
                  <p class="eyebrow">
                    {i.component_name}
                    {i.affected_batch ? ` · batch ${i.affected_batch}` : ''} <StatusPill status={i.status} />
                  </p>
                  <h3>
                    <a href={href} onClick={(e) => linkClick(e, href)}>
                      {i.failure_pattern}
                    </a>
                  </h3>
                  {i.recommendation && <p class="small">{i.recommendation}</p>}
                  <p class="insight-meta small">
                    <span>
                      <strong>{i.event_count}</strong> events
                    </span>
                    <span>confidence {formatPercent(i.confidence_score)}</span>
                    <span>updated {formatDateTime(i.updated_at)}</span>
                  </p>
                </li>
              )
            })}
        </ul>
      )}
    </ListStates>
  )
}
