import type { ComponentChildren } from 'preact'
import { useEffect } from 'preact/hooks'
import { navigate } from '../lib/router'
import { clearSession, isExpired, loadSession, ROLE_HOME, type Session } from '../lib/session'
import type { Role } from '../lib/types'

export type GuardVerdict =
  | { kind: 'ok'; session: Session }
  | { kind: 'login'; to: string }
  | { kind: 'forbidden' }

/** Pure so it can be tested alone: who may see a page that needs `role`. */
export function checkAccess(
  session: Session | null,
  role: Role,
  path: string,
  nowMs = Date.now(),
): GuardVerdict {
  const next = `next=${encodeURIComponent(path)}`
  if (!session) return { kind: 'login', to: `/login?${next}` }
  if (isExpired(session, nowMs)) return { kind: 'login', to: `/login?expired=1&${next}` }
  if (session.user.role !== role) return { kind: 'forbidden' }
  return { kind: 'ok', session }
}

export function Forbidden({ session, need }: { session: Session | null; need?: Role }) {
  return (
    <main class="page-center" id="main">
      <section class="card narrow" aria-labelledby="forbidden-title">
        <p class="eyebrow">Error 403</p>
        <h1 id="forbidden-title">This dashboard is not for your role</h1>
        <p>
          {need ? `It is for the ${need} role; ` : ''}
          you are signed in as <strong>{session?.user.email ?? 'nobody'}</strong>
          {session ? ` (${session.user.role})` : ''}.
        </p>
        {session && (
          <a class="btn" href={ROLE_HOME[session.user.role]}>
            Go to my dashboard
          </a>
        )}
      </section>
    </main>
  )
}

/** Renders `children(session)` for the right role, a 403 page for the wrong one, login for nobody. */
export function RouteGuard({
  needs,
  path,
  children,
}: {
  needs: Role
  path: string
  children: (session: Session) => ComponentChildren
}) {
  const session = loadSession()
  const verdict = checkAccess(session, needs, path)
  const to = verdict.kind === 'login' ? verdict.to : null
  const stale = verdict.kind === 'login' && session !== null
  useEffect(() => {
    if (!to) return
    // An expired token is useless: forget it so the login page does not bounce back here.
    if (stale) clearSession()
    navigate(to, { replace: true })
  }, [to, stale])
  if (verdict.kind === 'forbidden') return <Forbidden session={session} need={needs} />
  if (verdict.kind === 'login') return null
  return <>{children(verdict.session)}</>
}
