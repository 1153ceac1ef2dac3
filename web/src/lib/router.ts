import { useEffect, useState } from 'preact/hooks'

// A tiny History API router: the app has a handful of routes, so a dependency would cost more than it gives.
const NAVIGATE = 'autonoma:navigate'

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const current = location.pathname + location.search
  if (to === current) return
  if (options.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  window.dispatchEvent(new Event(NAVIGATE))
}

export interface Location {
  path: string
  query: URLSearchParams
}

function read(): Location {
  return { path: location.pathname.replace(/\/+$/, '') || '/', query: new URLSearchParams(location.search) }
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(read)
  useEffect(() => {
    const update = () =>
      setLoc((prev) => {
        const next = read()
        return next.path === prev.path && next.query.toString() === prev.query.toString() ? prev : next
      })
    window.addEventListener('popstate', update)
    window.addEventListener(NAVIGATE, update)
    // Children's effects run before this one: a redirect they made during the first render would be
    // missed without this catch-up read.
    update()
    return () => {
      window.removeEventListener('popstate', update)
      window.removeEventListener(NAVIGATE, update)
    }
  }, [])
  return loc
}

/** Matches `/dashboard/service/vehicle/:vin`-style patterns; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean)
  const s = path.split('/').filter(Boolean)
  if (p.length !== s.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(s[i]!)
    else if (seg !== s[i]) return null
  }
  return params
}

/** Plain left clicks on in-app links become History API navigations; others keep browser behaviour. */
export function linkClick(event: MouseEvent, to: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return
  event.preventDefault()
  navigate(to)
}
