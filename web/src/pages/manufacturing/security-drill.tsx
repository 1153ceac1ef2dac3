import { useState } from 'preact/hooks'
import { api } from '../../lib/api'

const DRILLS = [
  { scenario: 'engagement_writes_manufacturing', label: 'Customer agent writes manufacturing data' },
  { scenario: 'engagement_to_rca', label: 'Customer agent jumps to RCA' },
] as const

/**
 * Makes an agent attempt a forbidden step through the real UEBA gate (POST /api/ueba/drills), so a
 * quality engineer can show, any time, that the policy holds; the blocked attempt then arrives live.
 */
export function SecurityDrill() {
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
          : { ok: true, text: 'Blocked and logged as a drill, as it should be.' },
      )
    } catch (err) {
      setResult({ ok: false, text: `Drill failed: ${(err as Error).message}` })
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="drill">
      <span class="small muted">Security drill (a staged attempt on a synthetic subject, marked DRILL):</span>
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
