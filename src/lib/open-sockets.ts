import { Socket } from 'node:net'

/**
 * The process's open TCP sockets as `local port <- peer`, marked `busy` while an HTTP response
 * is under way on one: what a hung stop waits for (an HTTP client, a broker, the database).
 * Node has no public list of handles; `_getActiveHandles` is its long-standing internal one.
 */
export function openSockets(): string[] {
  const proc = process as unknown as { _getActiveHandles?: () => unknown[] }
  return (proc._getActiveHandles?.() ?? []).flatMap((h) => {
    if (!(h instanceof Socket)) return []
    const busy = (h as Socket & { _httpMessage?: unknown })._httpMessage ? ' busy' : ''
    return [`${h.localPort ?? '?'} <- ${h.remoteAddress ?? '?'}:${h.remotePort ?? '?'}${busy}`]
  })
}
