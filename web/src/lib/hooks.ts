import { createContext } from 'preact'
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from './api'
import type { ConnectionInfo, TelemetrySocket } from './socket'
import type { ServerMessages, ServerMessageType } from './types'

export const SocketContext = createContext<TelemetrySocket | null>(null)

export function useSocket(): TelemetrySocket | null {
  return useContext(SocketContext)
}

/** Runs `handler` for each message of `type`; the latest handler is used without resubscribing. */
export function useSocketMessage<T extends ServerMessageType>(
  type: T,
  handler: (data: ServerMessages[T]) => void,
): void {
  const socket = useSocket()
  const ref = useRef(handler)
  ref.current = handler
  useEffect(() => socket?.on(type, (data) => ref.current(data)), [socket, type])
}

export function useConnection(): ConnectionInfo {
  const socket = useSocket()
  const [info, setInfo] = useState<ConnectionInfo>(
    () => socket?.connection ?? { state: 'offline', attempt: 0, retryAt: null },
  )
  useEffect(() => {
    if (!socket) return
    setInfo(socket.connection)
    return socket.onState(setInfo)
  }, [socket])
  return info
}

export interface AsyncState<T> {
  data: T | undefined
  error: ApiError | null
  loading: boolean
  reload: () => void
  /** Local edits (live updates) without a refetch. */
  setData: (update: (prev: T | undefined) => T | undefined) => void
}

/** Fetches on mount and whenever `deps` change; stale responses of earlier deps are dropped. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined)
  const [error, setError] = useState<ApiError | null>(null)
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load

  useEffect(() => {
    const controller = new AbortController()
    setLoading(true)
    setError(null)
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return
        setDataState(() => value)
        setLoading(false)
      },
      (err: unknown) => {
        if (controller.signal.aborted) return
        setError(
          err instanceof ApiError ? err : new ApiError(0, 'CLIENT', (err as Error).message ?? String(err)),
        )
        setLoading(false)
      },
    )
    return () => controller.abort()
  }, [...deps, tick])

  const reload = useCallback(() => setTick((t) => t + 1), [])
  const setData = useCallback((update: (prev: T | undefined) => T | undefined) => setDataState(update), [])
  return { data, error, loading, reload, setData }
}

/** Re-renders every `ms` (relative times, countdowns). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(id)
  }, [ms])
  return now
}

/**
 * Runs `fn` once, `ms` after the first of a burst of triggers. Not a debounce: a steady stream of
 * triggers (alerts every second) must still refresh the page, not postpone it forever.
 */
export function useThrottled(fn: () => void, ms: number): () => void {
  const fnRef = useRef(fn)
  fnRef.current = fn
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(timer.current), [])
  return useCallback(() => {
    if (timer.current !== undefined) return
    timer.current = setTimeout(() => {
      timer.current = undefined
      fnRef.current()
    }, ms)
  }, [ms])
}
