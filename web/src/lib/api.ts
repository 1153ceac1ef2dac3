import { navigate } from './router'
import { clearSession, loadSession } from './session'

/** An API error body `{error: {code, message, details?}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

const SIGN_IN_AGAIN = new Set([
  'AUTH_TOKEN_EXPIRED',
  'AUTH_TOKEN_INVALID',
  'AUTH_TOKEN_REVOKED',
  'AUTH_REQUIRED',
])

/** A dead token ends the session everywhere: back to login, remembering where the user was. */
export function endSession(reason: 'expired' | 'signed-out' = 'expired'): void {
  clearSession()
  const next = location.pathname.startsWith('/dashboard')
    ? `&next=${encodeURIComponent(location.pathname)}`
    : ''
  navigate(reason === 'expired' ? `/login?expired=1${next}` : '/login', { replace: true })
}

export interface RequestOptions {
  method?: string
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
  const token = loadSession()?.token
  if (token) headers.authorization = `Bearer ${token}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, 'NETWORK', 'Cannot reach the server; check your connection')
  }
  if (res.ok) return res
  let code = `HTTP_${res.status}`
  let message = res.statusText || 'Request failed'
  let details: unknown
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } }
    code = body.error?.code ?? code
    message = body.error?.message ?? message
    details = body.error?.details
  } catch {
    // Not JSON (a proxy's error page): keep the HTTP status as the message.
  }
  if (res.status === 401 && SIGN_IN_AGAIN.has(code) && token) endSession('expired')
  throw new ApiError(res.status, code, message, details)
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts)
  if (res.status === 204) return undefined as T
  return (await res.json()) as T
}

/** Downloads with the bearer token (a plain link could not send it) and hands the browser a Blob. */
export async function downloadFile(path: string, fallbackName: string): Promise<void> {
  const res = await send(path, { headers: { accept: 'text/csv, */*' } })
  const blob = await res.blob()
  const disposition = res.headers.get('content-disposition') ?? ''
  const name = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  // Revoke later: some browsers start reading the Blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}
