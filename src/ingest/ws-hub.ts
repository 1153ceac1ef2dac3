import type { WebSocket } from 'ws'
import type { AuthUser } from '../auth/tokens.js'
import type { EventBus } from './event-bus.js'
import type { DirectType, FanOutType, FleetMessage, ServerMessages } from './messages.js'

/** Buffers go out as text frames: the clients get JSON text, as before. */
const TEXT = { binary: false } as const

/** One message as the UTF-8 JSON every client receives. */
function frame(message: { type: string; data: unknown; dataJson?: string }): Buffer {
  if (message.dataJson !== undefined) {
    return Buffer.from(`{"type":${JSON.stringify(message.type)},"data":${message.dataJson}}`)
  }
  return Buffer.from(JSON.stringify({ type: message.type, data: message.data }))
}

export interface HubOptions {
  /** Ping every connection this often; one that missed the previous pong is dropped. */
  heartbeatMs?: number
  /** Past this many bytes waiting in a socket, messages queue here instead. */
  maxBufferedBytes?: number
  /** Telemetry waiting for a slow client, beyond which the oldest is dropped (and counted). */
  maxQueuedTelemetry?: number
  /** Alerts, chat, bookings and security messages are never dropped; a client this far behind is cut off. */
  maxQueuedPriority?: number
}

export interface HubStats {
  connections: number
  sent: number
  droppedTelemetry: number
  slowClientsClosed: number
  deadPeersDropped: number
}

export class HubConnection {
  alive = true
  /** Staff only: narrow the telemetry stream to these VINs (empty = the whole fleet). */
  vins = new Set<string>()
  /** The message types this page draws (null = every type it may see): the rest is not sent at all. */
  topics: ReadonlySet<FanOutType> | null = null
  /** Serialized messages (shared by every connection they go to) waiting for this one. */
  readonly telemetryQueue: Buffer[] = []
  readonly priorityQueue: Buffer[] = []
  droppedTelemetry = 0

  constructor(
    readonly socket: WebSocket,
    readonly user: AuthUser,
    /** Customers: the VINs they own (the only ones they may name). */
    readonly ownedVins: ReadonlySet<string>,
  ) {}

  get queued(): number {
    return this.telemetryQueue.length + this.priorityQueue.length
  }

  wants(message: FleetMessage): boolean {
    const { user } = this
    if (this.topics && !this.topics.has(message.type)) return false
    if (user.role === 'customer') {
      if (message.ownerId !== user.id) return false
    } else if (!message.roles.includes(user.role)) {
      return false
    }
    if (message.type === 'telemetry' && this.vins.size > 0 && message.vin !== null)
      return this.vins.has(message.vin)
    return true
  }
}

/**
 * Delivers bus messages to WebSocket clients. Each message is serialized once, whatever the
 * number of clients, into one UTF-8 buffer that every socket sends (and buffers) as it is: no
 * per-client encoding or copy. A slow client gets a bounded queue: telemetry is dropped
 * oldest-first (it is superseded by the next reading anyway), everything else waits its turn.
 */
export class WebSocketHub {
  private readonly customers = new Map<string, Set<HubConnection>>()
  private readonly staff = new Set<HubConnection>()
  private readonly backlogged = new Set<HubConnection>()
  private readonly unsubscribe: () => void
  private readonly heartbeat: NodeJS.Timeout
  private drainTimer: NodeJS.Timeout | undefined
  private readonly opts: Required<HubOptions>
  private readonly stats_ = { sent: 0, droppedTelemetry: 0, slowClientsClosed: 0, deadPeersDropped: 0 }

  constructor(bus: EventBus, options: HubOptions = {}) {
    this.opts = {
      heartbeatMs: options.heartbeatMs ?? 30_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 512 * 1024,
      maxQueuedTelemetry: options.maxQueuedTelemetry ?? 500,
      maxQueuedPriority: options.maxQueuedPriority ?? 5_000,
    }
    this.unsubscribe = bus.subscribe((message) => this.deliver(message))
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs)
    this.heartbeat.unref()
  }

  get stats(): HubStats {
    return { connections: this.staff.size + this.customerCount(), ...this.stats_ }
  }

  add(connection: HubConnection): () => void {
    if (connection.user.role === 'customer') {
      const set = this.customers.get(connection.user.id) ?? new Set<HubConnection>()
      this.customers.set(connection.user.id, set)
      set.add(connection)
    } else {
      this.staff.add(connection)
    }
    connection.socket.on('pong', () => {
      connection.alive = true
    })
    return () => this.remove(connection)
  }

  /** Sends one message to one connection (replies to its own client messages). */
  /** A direct message (see `direct` in messages.ts) to one connection. */
  sendTo<T extends DirectType>(
    connection: HubConnection,
    message: { type: T; data: ServerMessages[T] },
  ): void {
    this.send(connection, frame(message), false)
  }

  close(): void {
    this.unsubscribe()
    clearInterval(this.heartbeat)
    clearTimeout(this.drainTimer)
    for (const c of this.all()) c.socket.close(1001, 'server shutting down')
  }

  private remove(connection: HubConnection): void {
    const set = this.customers.get(connection.user.id)
    if (set) {
      set.delete(connection)
      if (set.size === 0) this.customers.delete(connection.user.id)
    }
    this.staff.delete(connection)
    this.backlogged.delete(connection)
  }

  private customerCount(): number {
    let n = 0
    for (const set of this.customers.values()) n += set.size
    return n
  }

  private *all(): Iterable<HubConnection> {
    yield* this.staff
    for (const set of this.customers.values()) yield* set
  }

  private deliver(message: FleetMessage): void {
    let payload: Buffer | undefined
    const telemetry = message.type === 'telemetry'
    const targets: Iterable<HubConnection>[] = [this.staff]
    if (message.ownerId) {
      const owners = this.customers.get(message.ownerId)
      if (owners) targets.push(owners)
    }
    for (const group of targets) {
      for (const connection of group) {
        if (!connection.wants(message)) continue
        payload ??= frame(message)
        this.send(connection, payload, telemetry)
      }
    }
  }

  private send(connection: HubConnection, payload: Buffer, telemetry: boolean): void {
    const { socket } = connection
    if (socket.readyState !== socket.OPEN) return
    if (connection.queued === 0 && socket.bufferedAmount < this.opts.maxBufferedBytes) {
      socket.send(payload, TEXT)
      this.stats_.sent++
      return
    }
    if (telemetry) {
      connection.telemetryQueue.push(payload)
      if (connection.telemetryQueue.length > this.opts.maxQueuedTelemetry) {
        connection.telemetryQueue.shift()
        connection.droppedTelemetry++
        this.stats_.droppedTelemetry++
      }
    } else {
      connection.priorityQueue.push(payload)
      if (connection.priorityQueue.length > this.opts.maxQueuedPriority) {
        this.stats_.slowClientsClosed++
        connection.socket.close(1013, 'client too slow')
        this.remove(connection)
        return
      }
    }
    this.backlogged.add(connection)
    this.drainTimer ??= setTimeout(() => this.drain(), 20)
  }

  private drain(): void {
    this.drainTimer = undefined
    for (const connection of this.backlogged) {
      const { socket } = connection
      if (socket.readyState !== socket.OPEN) {
        this.backlogged.delete(connection)
        continue
      }
      while (connection.queued > 0 && socket.bufferedAmount < this.opts.maxBufferedBytes) {
        const next = connection.priorityQueue.shift() ?? connection.telemetryQueue.shift()
        if (next === undefined) break
        socket.send(next, TEXT)
        this.stats_.sent++
      }
      if (connection.queued === 0) this.backlogged.delete(connection)
    }
    if (this.backlogged.size > 0) this.drainTimer = setTimeout(() => this.drain(), 20)
  }

  private beat(): void {
    for (const connection of this.all()) {
      if (!connection.alive) {
        this.stats_.deadPeersDropped++
        connection.socket.terminate()
        this.remove(connection)
        continue
      }
      connection.alive = false
      connection.socket.ping()
    }
  }
}
