import { useEffect, useState } from 'preact/hooks'
import { ListStates } from '../../components/states'
import { api } from '../../lib/api'
import { formatDateTime, formatStamp } from '../../lib/format'
import { useAsync, useSocketMessage } from '../../lib/hooks'
import type { Page, SecurityData, UebaLog } from '../../lib/types'
import { useUrlFilters } from '../../lib/url-state'
import { AuditChain } from './audit-chain'
import { SecurityDrill } from './security-drill'
import { apiQuery, FILTER_KEYS, matches, UebaFilters } from './ueba-filters'

/** Rows kept on screen; older ones stay reachable through "Older entries" after a refresh. */
const MAX_ROWS = 200

/** Every security event the UEBA gate and the API recorded; blocked ones stand out, drills say so, rows arrive live. */
export function UebaView() {
  const [filter, setFilter] = useUrlFilters(FILTER_KEYS)
  const [fresh, setFresh] = useState<Set<string>>(new Set())
  const [security, setSecurity] = useState<SecurityData | null>(null)
  const [older, setOlder] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null })
  const q = apiQuery(filter)
  const logs = useAsync((signal) => api<Page<UebaLog>>(`/api/ueba/logs${q}`, { signal }), [q])

  useSocketMessage('ueba', (log) => {
    if (!matches(filter, log)) return
    logs.setData((page) => {
      if (!page || page.items.some((x) => x.id === log.id)) return page
      return { ...page, items: [log, ...page.items].slice(0, MAX_ROWS) }
    })
    setFresh((s) => new Set(s).add(log.id))
  })
  useSocketMessage('security', (s) => setSecurity(s))

  useEffect(() => {
    if (fresh.size === 0) return
    const id = setTimeout(() => setFresh(new Set()), 15_000)
    return () => clearTimeout(id)
  }, [fresh])

  const loadOlder = async () => {
    const cursor = logs.data?.next_cursor
    if (!cursor) return
    setOlder({ busy: true, error: null })
    try {
      const page = await api<Page<UebaLog>>(`/api/ueba/logs${apiQuery(filter, { cursor })}`)
      logs.setData((prev) => ({
        items: [...(prev?.items ?? []), ...page.items],
        next_cursor: page.next_cursor,
      }))
      setOlder({ busy: false, error: null })
    } catch (err) {
      setOlder({ busy: false, error: (err as Error).message })
    }
  }

  return (
    <section class="card span-all" aria-labelledby="ueba-title">
      <div class="card-head">
        <h2 id="ueba-title">Agent behaviour (UEBA)</h2>
      </div>
      <SecurityDrill />
      <AuditChain />
      {security && (
        <div
          class={`banner ${security.drill ? 'banner-info' : 'banner-danger'}`}
          role={security.drill ? 'status' : 'alert'}
          data-testid="security-banner"
          data-drill={security.drill ? 'true' : 'false'}
        >
          <strong>
            {security.drill ? 'Drill: ' : ''}
            {security.message || 'SECURITY: Unauthorized transition blocked'}
          </strong>
          <span>
            {security.agent}: {security.source} → {security.target}
            {security.vin ? ` · ${security.vin}` : ''} · {formatDateTime(security.timestamp)}
          </span>
          <button type="button" class="btn btn-ghost btn-small" onClick={() => setSecurity(null)}>
            Dismiss
          </button>
        </div>
      )}
      <UebaFilters filter={filter} set={setFilter} />
      <ListStates
        state={{ ...logs, data: logs.data?.items }}
        empty={
          filter.decision === 'BLOCKED'
            ? 'No blocked events match. The agents stayed in their lanes.'
            : 'No events match these filters.'
        }
      >
        {(items) => (
          <section
            class="table-scroll log-scroll"
            aria-label="Agent actions, newest first"
            // biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls inside its card, so a keyboard must be able to focus it to scroll (axe: scrollable-region-focusable)
            tabIndex={0}
          >
            <table class="table ueba" data-testid="ueba-table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Transition</th>
                  <th scope="col">Action</th>
                  <th scope="col">Vehicle</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {items.map((l) => (
                  <tr
                    key={l.id}
                    class={`${l.status === 'BLOCKED' ? 'row-blocked' : ''}${l.drill ? ' row-drill' : ''}${fresh.has(l.id) ? ' is-new' : ''}`}
                    data-status={l.status}
                    data-drill={l.drill ? 'true' : 'false'}
                  >
                    <td class="nowrap">
                      <time dateTime={l.timestamp} title={formatDateTime(l.timestamp)}>
                        {formatStamp(l.timestamp)}
                      </time>
                    </td>
                    <td>{l.agent_name}</td>
                    <td>
                      {l.source_node ?? '—'} → {l.target_node ?? '—'}
                    </td>
                    <td>{l.action_type}</td>
                    <td>{l.drill ? <span class="muted">synthetic (drill)</span> : (l.vin ?? '—')}</td>
                    <td>
                      {l.drill && <span class="pill pill-drill">DRILL</span>}{' '}
                      <span class={`pill ${l.status === 'BLOCKED' ? 'pill-blocked' : 'pill-allowed'}`}>
                        {l.status === 'BLOCKED' ? 'BLOCKED' : 'allowed'}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
      </ListStates>
      {logs.data?.next_cursor && (
        <button type="button" class="btn" disabled={older.busy} onClick={loadOlder}>
          {older.busy ? 'Loading…' : 'Older entries'}
        </button>
      )}
      {older.error && <p class="inline-error">{older.error}</p>}
    </section>
  )
}
