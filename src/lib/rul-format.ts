/**
 * How a remaining-useful-life estimate reads to people, in one place: the agents' messages
 * (`schemas/rul.ts`) and the dashboards (`web/src/lib/format.ts`) both use it, so a banner and a
 * chat reply about one alarm say the same thing. No imports: the dashboard bundles it as it is.
 */
export interface RulWords {
  rul_days: number | null
  rul_low_days: number | null
  rul_high_days: number | null
  rul_method: string | null
}

/** A duration for people: hours under two days, days beyond. */
export function formatDuration(days: number): string {
  if (days < 2) {
    const hours = Math.max(1, Math.round(days * 24))
    return `${hours} hour${hours === 1 ? '' : 's'}`
  }
  return `${Math.round(days)} days`
}

/** "about 6 hours (3 hours to 15 hours)", "now" once past its last limit; null when unknown. */
export function formatRul(rul: RulWords | null | undefined): string | null {
  if (!rul || rul.rul_days === null) return null
  if (rul.rul_method === 'crossed' || rul.rul_days === 0) return 'now'
  const range =
    rul.rul_low_days !== null && rul.rul_high_days !== null
      ? ` (${formatDuration(rul.rul_low_days)} to ${formatDuration(rul.rul_high_days)})`
      : ''
  return `about ${formatDuration(rul.rul_days)}${range}`
}
