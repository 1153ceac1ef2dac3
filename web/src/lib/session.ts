import type { Role, User } from './types'

// The JWT lives in localStorage so a reload keeps the user signed in (the spec's choice); the API
// never sets cookies, so there is no CSRF surface, and the token is only ever sent as a header or `?token=`.
const TOKEN_KEY = 'autonoma.token'
const USER_KEY = 'autonoma.user'

export interface Session {
  token: string
  user: User
  /** Seconds since the epoch, from the token's `exp`; null when the token has none. */
  exp: number | null
}

export interface TokenClaims {
  sub?: string
  role?: Role
  exp?: number
  email?: string
}

const ROLES: readonly Role[] = ['customer', 'service', 'manufacturer']

export const ROLE_HOME: Record<Role, string> = {
  customer: '/dashboard/customer',
  service: '/dashboard/service',
  manufacturer: '/dashboard/manufacturing',
}

/** Reads a JWT's payload without verifying it: the server verifies, the client only routes. */
export function decodeClaims(token: string): TokenClaims | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=')
    const claims = JSON.parse(atob(base64)) as unknown
    return claims && typeof claims === 'object' ? (claims as TokenClaims) : null
  } catch {
    return null
  }
}

export function isExpired(session: Pick<Session, 'exp'>, nowMs = Date.now()): boolean {
  return session.exp !== null && session.exp * 1000 <= nowMs
}

type Listener = (session: Session | null) => void
const listeners = new Set<Listener>()

export function loadSession(): Session | null {
  try {
    const token = localStorage.getItem(TOKEN_KEY)
    const userJson = localStorage.getItem(USER_KEY)
    if (!token || !userJson) return null
    const user = JSON.parse(userJson) as User
    const claims = decodeClaims(token)
    if (!claims) return null
    // The role that routes is the token's, not the cached profile's: the server checks the token.
    const role = claims.role && ROLES.includes(claims.role) ? claims.role : user.role
    return { token, user: { ...user, role }, exp: typeof claims.exp === 'number' ? claims.exp : null }
  } catch {
    return null
  }
}

export function saveSession(token: string, user: User): Session {
  localStorage.setItem(TOKEN_KEY, token)
  localStorage.setItem(USER_KEY, JSON.stringify(user))
  const session = loadSession()
  if (!session) throw new Error('The server returned a token that is not a JWT')
  for (const l of listeners) l(session)
  return session
}

export function clearSession(): void {
  localStorage.removeItem(TOKEN_KEY)
  localStorage.removeItem(USER_KEY)
  for (const l of listeners) l(null)
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
