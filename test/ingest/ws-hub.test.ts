import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { WebSocket } from 'ws'
import { InProcessEventBus } from '../../src/ingest/event-bus.js'
import type { FleetMessage } from '../../src/ingest/messages.js'
import { HubConnection, WebSocketHub } from '../../src/ingest/ws-hub.js'

/** Just enough of a `ws` socket: records sends, and lets a test say how much is buffered. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1
  readyState = 1
  bufferedAmount = 0
  sent: string[] = []
  pings = 0
  terminated = false
  send(text: string) {
    this.sent.push(text)
  }
  ping() {
    this.pings++
  }
  terminate() {
    this.terminated = true
    this.readyState = 3
  }
  close() {
    this.readyState = 3
  }
}

const staffUser = { id: 'staff-1', email: 's@x', role: 'service' as const }
const msg = (type: FleetMessage['type'], i: number): FleetMessage => ({
  type,
  // The hub frames whatever it is given; the payload's shape is the contract's business.
  data: { i } as never,
  vin: 'V1',
  ownerId: 'owner-1',
  roles: ['service', 'manufacturer'],
})

describe('WebSocketHub', () => {
  let hub: WebSocketHub | undefined
  afterEach(() => {
    hub?.close()
    vi.useRealTimers()
  })

  it('drops telemetry oldest-first for a slow client but never drops alerts', async () => {
    const bus = new InProcessEventBus()
    hub = new WebSocketHub(bus, { maxBufferedBytes: 1000, maxQueuedTelemetry: 10 })
    const socket = new FakeSocket()
    hub.add(new HubConnection(socket as unknown as WebSocket, staffUser, new Set()))
    socket.bufferedAmount = 10_000 // the client stopped reading
    for (let i = 0; i < 100; i++) bus.publish(msg('telemetry', i))
    bus.publish(msg('alert', 1000))
    for (let i = 100; i < 200; i++) bus.publish(msg('telemetry', i))
    expect(socket.sent).toHaveLength(0)
    expect(hub.stats.droppedTelemetry).toBe(190)
    socket.bufferedAmount = 0 // it caught up
    await vi.waitFor(() => expect(socket.sent.length).toBe(11))
    const received = socket.sent.map((s) => JSON.parse(s))
    expect(received[0]).toEqual({ type: 'alert', data: { i: 1000 } })
    expect(received.slice(1).map((m) => m.data.i)).toEqual(Array.from({ length: 10 }, (_, k) => 190 + k))
  })

  it('drops a peer that stops answering pings', () => {
    vi.useFakeTimers()
    const bus = new InProcessEventBus()
    hub = new WebSocketHub(bus, { heartbeatMs: 1000 })
    const lively = new FakeSocket()
    const dead = new FakeSocket()
    hub.add(new HubConnection(lively as unknown as WebSocket, staffUser, new Set()))
    hub.add(new HubConnection(dead as unknown as WebSocket, { ...staffUser, id: 'staff-2' }, new Set()))
    vi.advanceTimersByTime(1000)
    expect(lively.pings).toBe(1)
    lively.emit('pong')
    vi.advanceTimersByTime(1000)
    expect(dead.terminated).toBe(true)
    expect(lively.terminated).toBe(false)
    expect(hub.stats).toMatchObject({ connections: 1, deadPeersDropped: 1 })
  })

  it('serializes a message once for many clients', () => {
    const bus = new InProcessEventBus()
    hub = new WebSocketHub(bus)
    const sockets = Array.from({ length: 50 }, () => new FakeSocket())
    sockets.forEach((s, i) => {
      hub!.add(new HubConnection(s as unknown as WebSocket, { ...staffUser, id: `s${i}` }, new Set()))
    })
    const spy = vi.spyOn(JSON, 'stringify')
    bus.publish(msg('telemetry', 1))
    expect(spy).toHaveBeenCalledTimes(1)
    spy.mockRestore()
    expect(sockets.every((s) => s.sent.length === 1)).toBe(true)
  })
})
