// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from '@testing-library/preact'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { saveSession } from '../lib/session'
import type { Role } from '../lib/types'
import { checkAccess, RouteGuard } from './route-guard'

function fakeToken(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) =>
    btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
  return `${b64({ alg: 'HS256' })}.${b64(claims)}.signature`
}

function signInAs(role: Role, expInSeconds = 3600): void {
  const exp = Math.floor(Date.now() / 1000) + expInSeconds
  saveSession(fakeToken({ sub: 'u1', role, exp }), {
    id: 'u1',
    email: `${role}@example.com`,
    role,
    name: role,
  })
}

describe('checkAccess', () => {
  const session = (role: Role, exp: number | null) => ({
    token: 't',
    exp,
    user: { id: 'u', email: 'e', role, name: 'n' },
  })

  it('lets the right role in, sends the wrong one to 403 and nobody to login', () => {
    expect(checkAccess(session('service', null), 'service', '/dashboard/service').kind).toBe('ok')
    expect(checkAccess(session('customer', null), 'service', '/dashboard/service').kind).toBe('forbidden')
    expect(checkAccess(null, 'service', '/dashboard/service')).toEqual({
      kind: 'login',
      to: '/login?next=%2Fdashboard%2Fservice',
    })
  })

  it('treats a token whose exp has passed as signed out', () => {
    const now = Date.UTC(2026, 0, 1)
    expect(checkAccess(session('service', now / 1000 - 1), 'service', '/d', now)).toEqual({
      kind: 'login',
      to: '/login?expired=1&next=%2Fd',
    })
    expect(checkAccess(session('service', now / 1000 + 60), 'service', '/d', now).kind).toBe('ok')
  })
})

describe('RouteGuard', () => {
  beforeEach(() => {
    localStorage.clear()
    history.replaceState(null, '', '/dashboard/service')
  })
  afterEach(cleanup)

  const guarded = () => (
    <RouteGuard needs="service" path="/dashboard/service">
      {(s) => <p>queue for {s.user.email}</p>}
    </RouteGuard>
  )

  it('renders the page for the role that owns it', () => {
    signInAs('service')
    render(guarded())
    expect(screen.getByText('queue for service@example.com')).toBeTruthy()
  })

  it('shows a 403 page to another role, with a way to its own dashboard', () => {
    signInAs('customer')
    render(guarded())
    expect(screen.getByText('Error 403')).toBeTruthy()
    expect(screen.queryByText(/queue for/)).toBeNull()
    expect(screen.getByRole('link', { name: 'Go to my dashboard' }).getAttribute('href')).toBe(
      '/dashboard/customer',
    )
  })

  it('sends a visitor without a session to login, remembering the page', async () => {
    render(guarded())
    await waitFor(() => expect(location.pathname).toBe('/login'))
    expect(location.search).toBe('?next=%2Fdashboard%2Fservice')
  })

  it('forgets an expired token and sends the user to login', async () => {
    signInAs('service', -10)
    render(guarded())
    expect(screen.queryByText(/queue for/)).toBeNull()
    await waitFor(() => expect(location.search).toContain('expired=1'))
    expect(localStorage.getItem('autonoma.token')).toBeNull()
  })
})
