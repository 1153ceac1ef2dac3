import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { formatDateTime } from '../../lib/format'
import type { InsightStatus, InsightWithNotes } from '../../lib/types'

export const STATUS_LABEL: Record<InsightStatus, string> = {
  new: 'New',
  investigating: 'Investigating',
  action_taken: 'Action taken',
  closed: 'Closed',
}
export const STATUSES = Object.keys(STATUS_LABEL) as InsightStatus[]

export function StatusPill({ status }: { status: InsightStatus }) {
  return <span class={`pill pill-insight-${status}`}>{STATUS_LABEL[status]}</span>
}

/**
 * The quality engineers' workflow on one insight: the current status, a form to move it on (or
 * add a note alone), and every earlier step with who made it and when.
 */
export function InsightWorkflow({
  insight,
  onChanged,
}: {
  insight: InsightWithNotes
  onChanged: (next: InsightWithNotes) => void
}) {
  const [status, setStatus] = useState<InsightStatus>(insight.status)
  const [note, setNote] = useState('')
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null })
  const unchanged = status === insight.status
  const submit = async (e: Event) => {
    e.preventDefault()
    if (unchanged && !note.trim()) {
      setState({ busy: false, error: 'Choose another status or write a note.' })
      return
    }
    setState({ busy: true, error: null })
    try {
      const next = await api<InsightWithNotes>(`/api/insights/${insight.id}`, {
        method: 'PATCH',
        body: { status, ...(note.trim() ? { note: note.trim() } : {}) },
      })
      setNote('')
      setState({ busy: false, error: null })
      onChanged(next)
    } catch (err) {
      setState({ busy: false, error: (err as Error).message })
    }
  }
  return (
    <section class="workflow" aria-labelledby="workflow-title" data-testid="insight-workflow">
      <h3 class="subhead" id="workflow-title">
        Workflow <StatusPill status={insight.status} />
      </h3>
      <form class="workflow-form" onSubmit={submit}>
        <label class="field">
          <span>Status</span>
          <select
            class="input"
            name="status"
            value={status}
            onChange={(e) => setStatus(e.currentTarget.value as InsightStatus)}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Note {unchanged ? '(required to keep the status)' : '(optional)'}</span>
          <textarea
            class="input"
            name="note"
            rows={3}
            maxLength={2000}
            value={note}
            onInput={(e) => setNote(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="btn btn-primary btn-small" disabled={state.busy}>
          {unchanged ? 'Add note' : `Move to ${STATUS_LABEL[status]}`}
        </button>
        {state.error && (
          <p class="inline-error" role="alert">
            {state.error}
          </p>
        )}
      </form>
      {insight.notes.length === 0 ? (
        <p class="small muted">No steps yet: the RCA agent found it; nobody has picked it up.</p>
      ) : (
        <ol class="workflow-log">
          {[...insight.notes].reverse().map((n) => (
            <li key={n.id} data-to={n.to_status}>
              <p class="small">
                <strong>{n.user_name ?? 'A removed account'}</strong>{' '}
                {n.from_status === n.to_status ? (
                  'added a note'
                ) : (
                  <>
                    moved it from {STATUS_LABEL[n.from_status]} to {STATUS_LABEL[n.to_status]}
                  </>
                )}{' '}
                <time class="muted" dateTime={n.created_at}>
                  {formatDateTime(n.created_at)}
                </time>
              </p>
              {n.note && <p class="workflow-note">{n.note}</p>}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
