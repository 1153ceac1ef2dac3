import { formatRul, severityClass } from '../../lib/format'
import type { AlertData } from '../../lib/types'

/** The latest alert of the vehicle, and whether the agents are still working on it. */
export function AlertBadge({
  alert,
  analysing,
  onDismiss,
}: {
  alert: AlertData
  analysing: boolean
  onDismiss: () => void
}) {
  return (
    <section
      class={`alert-badge alert-${alert.severity.toLowerCase()}`}
      role="alert"
      data-testid="alert-badge"
      data-state={analysing ? 'analysing' : 'diagnosed'}
    >
      <div class="alert-head">
        <span class={severityClass(alert.severity)}>{alert.severity}</span>
        <strong class="alert-reason" title={alert.reason}>
          {alert.headline}
        </strong>
        <button type="button" class="btn btn-ghost btn-small" onClick={onDismiss} aria-label="Dismiss alert">
          ✕
        </button>
      </div>
      <p class="alert-body">
        {alert.diagnosis}
        {alert.rul_method !== 'insufficient-trend' && alert.rul !== null && (
          <> · Remaining life: {formatRul(alert)}</>
        )}
      </p>
      <p class="alert-state">
        {analysing ? (
          <>
            <span class="spinner" aria-hidden="true" /> Analysing: the agents are diagnosing and preparing
            advice…
          </>
        ) : (
          'The agent has written to you in the chat below.'
        )}
      </p>
    </section>
  )
}
