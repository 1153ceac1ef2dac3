import type { ServerMessages, ServerMessageType } from './types'

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline'

export interface ConnectionInfo {
  state: ConnectionState
  /** Failed attempts since the last open connection. */
  attempt: number
  /** When the next attempt starts (ms since the epoch), while reconnecting. */
  retryAt: number | null
}

type Handler<T extends ServerMessageType> = (data: ServerMessages[T]) => void
type AnyHandler = (type: string, data: unknown) => void

export interface SocketOptions {
  /** The URL to open, or null when there is no usable session (then the socket stays offline). */
  url: () => string | null
  /** Called when the server refuses the token; should end the session. */
  onAuthRejected?: () => void
  /** Asks the API whether the token still works (it ends the session on 401). */
  verifyAuth?: () => Promise<unknown>
  WebSocketImpl?: typeof WebSocket
  random?: () => number
  baseDelayMs?: number
  maxDelayMs?: number
  heartbeatMs?: number
}

/**
 * Exponential backoff with jitter: attempt n waits between half and all of base * 2^n, capped.
 * The jitter spreads a fleet of reconnecting browsers after a server restart.
 */
export function backoffDelay(attempt: number, base = 500, max = 30_000, random = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 16))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/** Close codes a server uses to refuse a token (policy violation and the 44xx private range). */
const AUTH_CLOSE_CODES = new Set([1008, 4001, 4401, 4403])

/**
 * The one WebSocket of a signed-in page: connects to /ws/telemetry, reconnects with backoff, dispatches
 * `{type, data}` messages by type, and re-sends the current subscription after every reconnect.
 */
export class TelemetrySocket {
  private ws: WebSocket | null = null
  private readonly handlers = new Map<string, Set<(data: unknown) => void>>()
  private readonly anyHandlers = new Set<AnyHandler>()
  private readonly stateListeners = new Set<(info: ConnectionInfo) => void>()
  private info: ConnectionInfo = { state: 'offline', attempt: 0, retryAt: null }
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private lastMessageAt = 0
  private running = false
  private subscription: string[] | null = null
  private topicSubscription: string[] | null = null
  private readonly opts: Required<Omit<SocketOptions, 'onAuthRejected' | 'verifyAuth'>> &
    Pick<SocketOptions, 'onAuthRejected' | 'verifyAuth'>

  constructor(options: SocketOptions) {
    this.opts = {
      WebSocketImpl: globalThis.WebSocket,
      random: Math.random,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      heartbeatMs: 20_000,
      ...options,
    }
  }

  get connection(): ConnectionInfo {
    return this.info
  }

  start(): void {
    if (this.running) return
    this.running = true
    window.addEventListener('online', this.onOnline)
    window.addEventListener('offline', this.onOffline)
    this.connect()
  }

  stop(): void {
    this.running = false
    window.removeEventListener('online', this.onOnline)
    window.removeEventListener('offline', this.onOffline)
    this.teardown()
    this.setInfo({ state: 'offline', attempt: 0, retryAt: null })
  }

  on<T extends ServerMessageType>(type: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(type)
    if (!set) {
      set = new Set()
      this.handlers.set(type, set)
    }
    const h = handler as (data: unknown) => void
    set.add(h)
    return () => set.delete(h)
  }

  onAny(handler: AnyHandler): () => void {
    this.anyHandlers.add(handler)
    return () => this.anyHandlers.delete(handler)
  }

  onState(listener: (info: ConnectionInfo) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  /** Narrows the stream to these VINs (`[]` = everything the user may see); kept across reconnects. */
  subscribe(vins: string[]): void {
    this.subscription = vins
    this.send({ type: 'subscribe', vins })
  }

  /**
   * Receives only these message types (`[]` = every type again); kept across reconnects and put on
   * the URL of the next connection, so that not even its first frames carry what the page never draws.
   */
  subscribeTopics(topics: string[]): void {
    this.topicSubscription = topics.length ? topics : null
    this.send({ type: 'subscribe', topics })
  }

  /** Sends a chat message; false when not connected (the caller then uses POST /api/chat). */
  chat(vin: string, content: string): boolean {
    return this.send({ type: 'chat', data: { vin, content } })
  }

  send(message: unknown): boolean {
    if (this.ws?.readyState !== 1 /* OPEN */) return false
    this.ws.send(JSON.stringify(message))
    return true
  }

  private connect(): void {
    if (!this.running) return
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.setInfo({ state: 'offline', attempt: this.info.attempt, retryAt: null })
      return
    }
    const base = this.opts.url()
    const url =
      base && this.topicSubscription
        ? `${base}${base.includes('?') ? '&' : '?'}topics=${this.topicSubscription.join(',')}`
        : base
    if (!url) {
      this.running = false
      this.setInfo({ state: 'offline', attempt: 0, retryAt: null })
      this.opts.onAuthRejected?.()
      return
    }
    this.setInfo({
      state: this.info.attempt === 0 ? 'connecting' : 'reconnecting',
      attempt: this.info.attempt,
      retryAt: null,
    })
    let opened = false
    const ws = new this.opts.WebSocketImpl(url)
    this.ws = ws
    ws.onopen = () => {
      opened = true
      this.lastMessageAt = Date.now()
      this.setInfo({ state: 'connected', attempt: 0, retryAt: null })
      if (this.subscription) this.send({ type: 'subscribe', vins: this.subscription })
      this.startHeartbeat()
    }
    ws.onmessage = (event) => this.dispatch(event.data)
    ws.onclose = (event) => {
      if (this.ws !== ws) return
      this.ws = null
      this.stopHeartbeat()
      if (!this.running) return
      if (AUTH_CLOSE_CODES.has(event.code)) {
        this.running = false
        this.setInfo({ state: 'offline', attempt: 0, retryAt: null })
        this.opts.onAuthRejected?.()
        return
      }
      const attempt = opened ? 0 : this.info.attempt + 1
      // A refused upgrade looks like any network failure (code 1006); ask the API whether the token
      // still works, which ends the session if it does not.
      if (!opened && attempt % 3 === 0) void this.opts.verifyAuth?.().catch(() => undefined)
      this.scheduleRetry(attempt)
    }
  }

  private scheduleRetry(attempt: number): void {
    const delay = backoffDelay(attempt, this.opts.baseDelayMs, this.opts.maxDelayMs, this.opts.random)
    this.setInfo({ state: 'reconnecting', attempt, retryAt: Date.now() + delay })
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => this.connect(), delay)
  }

  private dispatch(raw: unknown): void {
    this.lastMessageAt = Date.now()
    if (typeof raw !== 'string') return
    let msg: { type?: unknown; data?: unknown }
    try {
      msg = JSON.parse(raw)
    } catch {
      return
    }
    if (typeof msg?.type !== 'string') return
    for (const h of this.anyHandlers) h(msg.type, msg.data)
    const set = this.handlers.get(msg.type)
    if (!set) return
    for (const h of set) {
      // A failing view must not stop the others from getting the message.
      try {
        h(msg.data)
      } catch (err) {
        console.error(`socket handler for ${msg.type} failed`, err)
      }
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat()
    this.heartbeat = setInterval(() => {
      // Silence for two beats means a half-open connection (laptop sleep, NAT timeout): start over.
      if (Date.now() - this.lastMessageAt > this.opts.heartbeatMs * 2.5) {
        this.ws?.close()
        const ws = this.ws
        this.ws = null
        if (ws) ws.onclose = null
        this.stopHeartbeat()
        this.scheduleRetry(0)
        return
      }
      this.send({ type: 'ping' })
    }, this.opts.heartbeatMs)
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }

  private teardown(): void {
    clearTimeout(this.retryTimer)
    this.stopHeartbeat()
    const ws = this.ws
    this.ws = null
    if (ws) {
      ws.onclose = null
      ws.onmessage = null
      ws.close()
    }
  }

  private readonly onOnline = () => {
    if (!this.running) return
    clearTimeout(this.retryTimer)
    if (!this.ws) this.connect()
  }

  private readonly onOffline = () => {
    this.teardown()
    this.setInfo({ state: 'offline', attempt: this.info.attempt, retryAt: null })
  }

  private setInfo(info: ConnectionInfo): void {
    this.info = info
    for (const l of this.stateListeners) l(info)
  }
}

export function telemetryUrl(token: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}/ws/telemetry?token=${encodeURIComponent(token)}`
}
