import { useEffect, useState } from 'preact/hooks'
import { ListStates } from '../../components/states'
import { api, query } from '../../lib/api'
import { formatDateTime, formatStamp } from '../../lib/format'
import { useAsync, useSocketMessage } from '../../lib/hooks'
import type { Page, SecurityData, UebaLog } from '../../lib/types'
import { AuditChain } from './audit-chain'

/** Rows kept on screen; older ones stay reachable through "Older entries" after a refresh. */
const MAX_ROWS = 200

const DRILLS = [
  { scenario: 'engagement_writes_manufacturing', label: 'Customer agent writes manufacturing data' },
  { scenario: 'engagement_to_rca', label: 'Customer agent jumps to RCA' },
] as const

/**
 * Makes an agent attempt a forbidden step through the real UEBA gate (POST /api/ueba/drills), so a
 * quality engineer can show, any time, that the policy holds; the blocked attempt then arrives live.
 */
function SecurityDrill() {
  const [result, setResult] = useState<{ text: string; ok: boolean } | null>(null)
  const [busy, setBusy] = useState(false)
  const run = async (scenario: string) => {
    setBusy(true)
    setResult(null)
    try {
      const res = await api<{ allowed: boolean }>('/api/ueba/drills', { method: 'POST', body: { scenario } })
      setResult(
        res.allowed
          ? { ok: false, text: 'The attempt was ALLOWED: the UEBA policy needs attention.' }
          : { ok: true, text: 'Blocked and logged, as it should be.' },
      )
    } catch (err) {
      setResult({ ok: false, text: `Drill failed: ${(err as Error).message}` })
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="drill">
      <span class="small muted">Security drill:</span>
      {DRILLS.map((d) => (
        <button
          key={d.scenario}
          type="button"
          class="btn btn-small"
          data-drill={d.scenario}
          disabled={busy}
          onClick={() => run(d.scenario)}
        >
          {d.label}
        </button>
      ))}
      {result && (
        <span class={result.ok ? 'drill-ok' : 'inline-error'} role="status">
          {result.text}
        </span>
      )}
    </div>
  )
}

/** Every agent transition the UEBA guard checked; blocked ones stand out and arrive live. */
export function UebaView() {
  const [blockedOnly, setBlockedOnly] = useState(false)
  const [fresh, setFresh] = useState<Set<string>>(new Set())
  const [security, setSecurity] = useState<SecurityData | null>(null)
  const [older, setOlder] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null })
  const logs = useAsync(
    (signal) =>
      api<Page<UebaLog>>(
        `/api/ueba/logs${query({ limit: 50, status: blockedOnly ? 'BLOCKED' : undefined })}`,
        {
          signal,
        },
      ),
    [blockedOnly],
  )

  useSocketMessage('ueba', (log) => {
    if (blockedOnly && log.status !== 'BLOCKED') return
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
      const page = await api<Page<UebaLog>>(
        `/api/ueba/logs${query({ limit: 50, cursor, status: blockedOnly ? 'BLOCKED' : undefined })}`,
      )
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
    <section class="card" aria-labelledby="ueba-title">
      <div class="card-head">
        <h2 id="ueba-title">Agent behaviour (UEBA)</h2>
        <label class="check">
          <input
            type="checkbox"
            checked={blockedOnly}
            onChange={(e) => setBlockedOnly(e.currentTarget.checked)}
          />
          Blocked only
        </label>
      </div>
      <SecurityDrill />
      <AuditChain />
      {security && (
        <div class="banner banner-danger" role="alert" data-testid="security-banner">
          <strong>{security.message || 'SECURITY: Unauthorized transition blocked'}</strong>
          <span>
            {security.agent}: {security.source} → {security.target}
            {security.vin ? ` · ${security.vin}` : ''} · {formatDateTime(security.timestamp)}
          </span>
          <button type="button" class="btn btn-ghost btn-small" onClick={() => setSecurity(null)}>
            Dismiss
          </button>
        </div>
      )}
      <ListStates
        state={{ ...logs, data: logs.data?.items }}
        empty={
          blockedOnly
            ? 'No blocked transitions. The agents stayed in their lanes.'
            : 'No transitions logged yet.'
        }
      >
        {(items) => (
          <div class="table-scroll log-scroll">
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
                    class={`${l.status === 'BLOCKED' ? 'row-blocked' : ''}${fresh.has(l.id) ? ' is-new' : ''}`}
                    data-status={l.status}
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
                    <td>{l.vin ?? '—'}</td>
                    <td>
                      <span class={`pill ${l.status === 'BLOCKED' ? 'pill-blocked' : 'pill-allowed'}`}>
                        {l.status === 'BLOCKED' ? 'BLOCKED' : 'allowed'}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
