import type { ComponentChildren } from 'preact'
import type { ApiError } from '../lib/api'

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="state state-loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  )
}

export function EmptyState({ children }: { children: ComponentChildren }) {
  return <p class="state state-empty">{children}</p>
}

export function ErrorState({ error, onRetry }: { error: ApiError | Error; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p>
        <strong>Could not load this.</strong> {error.message}
      </p>
      {onRetry && (
        <button type="button" class="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  )
}

/** The loading / error / empty / list states every list on the dashboards shares. */
export function ListStates<T>({
  state,
  empty,
  children,
}: {
  state: { data: T[] | undefined; error: ApiError | null; loading: boolean; reload: () => void }
  empty: ComponentChildren
  children: (items: T[]) => ComponentChildren
}) {
  if (state.error && !state.data) return <ErrorState error={state.error} onRetry={state.reload} />
  if (!state.data) return <Loading />
  if (state.data.length === 0) return <EmptyState>{empty}</EmptyState>
  return <>{children(state.data)}</>
}
