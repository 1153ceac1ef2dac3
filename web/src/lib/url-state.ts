import { useCallback } from 'preact/hooks'
import { navigate, useLocation } from './router'

/**
 * Filters kept in the URL's query: a reload, a shared link or Back shows the same view. Empty
 * values are left out of the URL; changes replace the history entry (a filter is not a page).
 */
export function useUrlFilters<K extends string>(
  keys: readonly K[],
): [Record<K, string>, (patch: Partial<Record<K, string>>) => void] {
  const { query } = useLocation()
  const values = Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ''])) as Record<K, string>
  const set = useCallback((patch: Partial<Record<K, string>>) => {
    const next = new URLSearchParams(location.search)
    for (const [k, v] of Object.entries(patch) as Array<[string, string | undefined]>) {
      if (v) next.set(k, v)
      else next.delete(k)
    }
    const q = next.toString()
    navigate(`${location.pathname}${q ? `?${q}` : ''}`, { replace: true })
  }, [])
  return [values, set]
}
