import { ListStates } from '../../components/states'
import type { AsyncState } from '../../lib/hooks'
import type { InsightSummary } from '../../lib/types'

/**
 * Failure counts as a component x batch heat-map table: a table is readable by screen readers and at
 * 390 px (it scrolls), and the numbers are always printed, so colour only reinforces them.
 */
export function FailureMatrix({
  summary,
  selected,
  onSelect,
}: {
  summary: AsyncState<InsightSummary>
  selected: { component: string; batch: string }
  onSelect: (component: string, batch: string) => void
}) {
  const rows = summary.data ? [summary.data] : undefined
  return (
    <ListStates
      state={{ ...summary, data: rows?.filter((s) => s.counts.length > 0) }}
      empty="No failures recorded yet."
    >
      {([s]) => {
        const data = s!
        const count = new Map(data.counts.map((c) => [`${c.component}\u0000${c.batch}`, c]))
        const max = Math.max(1, ...data.counts.map((c) => c.events))
        return (
          <div class="table-scroll">
            <table class="table heat" data-testid="failure-matrix">
              <caption class="visually-hidden">
                Failure events by component (rows) and batch (columns)
              </caption>
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  {data.batches.map((b) => (
                    <th key={b} scope="col">
                      {b}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.components.map((comp) => (
                  <tr key={comp}>
                    <th scope="row">{comp}</th>
                    {data.batches.map((b) => {
                      const c = count.get(`${comp}\u0000${b}`)
                      const events = c?.events ?? 0
                      // Five steps of one hue; the darkest two switch to white text to keep AA contrast.
                      const level = events === 0 ? 0 : Math.min(5, Math.ceil((events / max) * 5))
                      const active = selected.component === comp && selected.batch === b
                      return (
                        <td key={b} class={`heat-${level}${active ? ' active' : ''}`}>
                          {events > 0 ? (
                            <button
                              type="button"
                              class="heat-cell"
                              aria-pressed={active}
                              title={`${events} events on ${c?.vehicles ?? 0} vehicles`}
                              onClick={() => (active ? onSelect('', '') : onSelect(comp, b))}
                            >
                              {events}
                              <span class="visually-hidden">
                                {' '}
                                events for {comp} in batch {b} on {c?.vehicles ?? 0} vehicles
                              </span>
                            </button>
                          ) : (
                            <span class="muted">0</span>
                          )}
                        </td>
                      )
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }}
    </ListStates>
  )
}
