import { useState } from 'preact/hooks'
import { ListStates } from '../../components/states'
import { api, query } from '../../lib/api'
import { formatDateTime, formatStamp } from '../../lib/format'
import { useAsync, useSocketMessage, useThrottled } from '../../lib/hooks'
import type { UebaEntity } from '../../lib/types'

const STATE_LABEL: Record<UebaEntity['state'], string> = {
  active: 'active',
  stepped_up: 'slowed (step-up)',
  locked: 'locked',
  quarantined: 'quarantined',
  throttled: 'throttled',
}

/**
 * Risk per agent, user and device (GET /api/ueba/entities), riskiest first, with why: the newest
 * reason is shown, the rest on demand. A response in force can be released here.
 */
export function EntityRisk() {
  const [kind, setKind] = useState('')
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const entities = useAsync(
    (signal) => api<{ items: UebaEntity[] }>(`/api/ueba/entities${query({ kind, limit: 25 })}`, { signal }),
    [kind],
  )
  // A new audit row may move a score; refetch at most every few seconds.
  const refresh = useThrottled(() => entities.reload(), 5000)
  useSocketMessage('security', refresh)

  const release = async (id: string) => {
    setBusy(id)
    setError(null)
    try {
      await api(`/api/ueba/entities/${encodeURIComponent(id)}/release`, { method: 'POST' })
      entities.reload()
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(null)
    }
  }

  return (
    <section class="card" aria-labelledby="risk-title" data-testid="entity-risk">
      <div class="card-head">
        <h2 id="risk-title">Entity risk</h2>
        <label class="field-inline">
          <span>Entity kind</span>
          <select class="input" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="">all</option>
            <option value="agent">agents</option>
            <option value="user">users</option>
            <option value="device">devices</option>
          </select>
        </label>
      </div>
      {error && (
        <p class="inline-error" role="alert">
          {error}
        </p>
      )}
      <ListStates state={{ ...entities, data: entities.data?.items }} empty="No activity scored yet.">
        {(items) => (
          <ul class="risk-list">
            {items.map((e) => (
              <li key={e.id} class={`risk-item risk-${e.band.toLowerCase()}`} data-entity={e.id}>
                <div class="risk-head">
                  <strong>{e.kind === 'user' ? `${e.label} ${e.actor_id.slice(0, 8)}` : e.actor_id}</strong>
                  <span class="small muted">{e.kind}</span>
                  <span class={`pill pill-band-${e.band.toLowerCase()}`}>
                    {e.band} · {Math.round(e.score)}
                  </span>
                  {e.state !== 'active' && <span class="pill pill-blocked">{STATE_LABEL[e.state]}</span>}
                </div>
                <p class="small">
                  {e.reasons[0] ? (
                    <>
                      {e.reasons[0].detail}{' '}
                      <time class="muted" dateTime={e.reasons[0].at} title={formatDateTime(e.reasons[0].at)}>
                        {formatStamp(e.reasons[0].at)}
                      </time>
                    </>
                  ) : (
                    <span class="muted">nothing unusual; {e.events} events</span>
                  )}
                </p>
                {e.reasons.length > 1 && (
                  <details class="small">
                    <summary>{e.reasons.length - 1} earlier reasons</summary>
                    <ul>
                      {e.reasons.slice(1).map((r) => (
                        <li key={`${r.at}-${r.rule}`}>
                          {r.detail} (+{Math.round(r.points)})
                        </li>
                      ))}
                    </ul>
                  </details>
                )}
                {e.state !== 'active' && (
                  <button
                    type="button"
                    class="btn btn-small"
                    disabled={busy === e.id}
                    onClick={() => release(e.id)}
                  >
                    Release
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </ListStates>
    </section>
  )
}
