import { alertHeadline } from '../../../../src/lib/alert-headline.js'
import { formatRul, severityClass } from '../../lib/format'
import type { Alarm } from '../../lib/types'

/** What the banner says about an episode, all from its alarm row (the one the health card counts). */
export function alarmWords(alarm: Alarm): { headline: string; diagnosis: string | null; rul: string | null } {
  const diagnosis = alarm.diagnoses[0]?.diagnosis_text ?? null
  const rul = alarm.rul_method !== 'insufficient-trend' && alarm.rul_days !== null ? formatRul(alarm) : null
  return { headline: alertHeadline(alarm.anomaly_type, alarm.signals), diagnosis, rul }
}

/**
 * An open episode of one of the owner's vehicles. The selected vehicle's is the banner; another
 * car's is a card of the same kind that names that car and offers to show it.
 */
export function AlertBadge({
  alarm,
  analysing,
  onDismiss,
  vehicleName,
  onShow,
}: {
  alarm: Alarm
  analysing: boolean
  onDismiss: () => void
  /** Set for another car than the one on screen. */
  vehicleName?: string
  onShow?: () => void
}) {
  const { headline, diagnosis, rul } = alarmWords(alarm)
  const elsewhere = vehicleName !== undefined
  return (
    <section
      class={`alert-badge alert-${alarm.severity.toLowerCase()}${elsewhere ? ' alert-other' : ''}`}
      role={elsewhere ? 'status' : 'alert'}
      aria-label={elsewhere ? `Alert for your ${vehicleName}` : 'Alert for this vehicle'}
      data-testid={elsewhere ? 'alert-elsewhere' : 'alert-badge'}
      data-alarm-id={alarm.id}
      data-severity={alarm.severity}
      data-vin={alarm.vin}
      data-state={analysing ? 'analysing' : 'diagnosed'}
    >
      {elsewhere && <p class="alert-vehicle">Your {vehicleName}</p>}
      <div class="alert-head">
        <span class={severityClass(alarm.severity)} data-testid="alert-severity">
          {alarm.severity}
        </span>
        <strong class="alert-reason" title={alarm.reason ?? undefined}>
          {headline}
        </strong>
        <button
          type="button"
          class="btn btn-ghost btn-small"
          onClick={onDismiss}
          aria-label={`Dismiss alert${elsewhere ? ` for ${vehicleName}` : ''}`}
        >
          ✕
        </button>
      </div>
      <p class="alert-body">
        {diagnosis}
        {rul && (
          <>
            {diagnosis ? ' · ' : ''}Remaining life: <span data-testid="alert-rul">{rul}</span>
          </>
        )}
      </p>
      {elsewhere ? (
        <button type="button" class="btn btn-small btn-primary" onClick={onShow}>
          Show {vehicleName}
        </button>
      ) : (
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
      )}
    </section>
  )
}
