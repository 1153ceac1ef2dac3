import { act } from '@testing-library/preact'
import type { TelemetrySocket } from './socket'

/** A socket for component tests: components subscribe as to the real one, the test emits messages. */
export function fakeSocket() {
  const handlers = new Map<string, Set<(data: unknown) => void>>()
  const socket = {
    on(type: string, handler: (data: unknown) => void) {
      if (!handlers.has(type)) handlers.set(type, new Set())
      handlers.get(type)!.add(handler)
      return () => handlers.get(type)!.delete(handler)
    },
  } as unknown as TelemetrySocket
  const emit = (type: string, data: unknown) =>
    act(() => {
      for (const h of handlers.get(type) ?? []) h(data)
    })
  return { socket, emit }
}
