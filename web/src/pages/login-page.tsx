import { useEffect, useState } from 'preact/hooks'
import { ApiError, api } from '../lib/api'
import { navigate, useLocation } from '../lib/router'
import { isExpired, loadSession, ROLE_HOME, saveSession } from '../lib/session'
import type { LoginResponse, Role } from '../lib/types'

const DEMO: Array<{ role: Role; label: string; email: string; password: string }> = [
  { role: 'customer', label: 'Vehicle owner', email: 'user@demo.com', password: 'pass123' },
  { role: 'service', label: 'Service centre', email: 'service@ey.com', password: 'ey_secure' },
  { role: 'manufacturer', label: 'OEM quality', email: 'admin@oem.com', password: 'admin_pass' },
]

/** Only same-app dashboard paths: `next` comes from the URL and must not send users elsewhere. */
function safeNext(next: string | null, role: Role): string {
  return next?.startsWith(`${ROLE_HOME[role]}`) ? next : ROLE_HOME[role]
}

export function LoginPage() {
  const { query } = useLocation()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const expired = query.get('expired') === '1'

  useEffect(() => {
    const s = loadSession()
    if (s && !isExpired(s)) navigate(safeNext(query.get('next'), s.user.role), { replace: true })
  }, [query])

  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const res = await api<LoginResponse>('/api/auth/login', {
        method: 'POST',
        body: { email: email.trim(), password },
      })
      const session = saveSession(res.access_token, res.user)
      navigate(safeNext(query.get('next'), session.user.role), { replace: true })
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'Email or password is incorrect.'
          : (err as Error).message,
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="page-center login" id="main">
      <section class="card narrow" aria-labelledby="login-title">
        <div class="brand brand-large">
          <span class="brand-mark" aria-hidden="true" />
          Autonoma
        </div>
        <h1 id="login-title">Sign in</h1>
        <p class="muted">Predictive maintenance for your EV fleet.</p>
        {expired && (
          <p class="notice" role="status">
            Your session has ended. Please sign in again.
          </p>
        )}
        <form class="stack" onSubmit={submit}>
          <label class="field">
            <span>Email</span>
            <input
              class="input"
              type="email"
              name="email"
              autocomplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>Password</span>
            <input
              class="input"
              type="password"
              name="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          {error && (
            <p class="inline-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <details class="demo-accounts" open>
          <summary>Demo accounts</summary>
          <ul>
            {DEMO.map((d) => (
              <li key={d.role}>
                <button
                  type="button"
                  class="link-button"
                  onClick={() => {
                    setEmail(d.email)
                    setPassword(d.password)
                  }}
                >
                  {d.label}
                </button>
                <code>{d.email}</code> / <code>{d.password}</code>
              </li>
            ))}
          </ul>
        </details>
      </section>
    </main>
  )
}
