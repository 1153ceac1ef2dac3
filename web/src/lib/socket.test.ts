// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backoffDelay, TelemetrySocket } from './socket'

class FakeWs {
  static all: FakeWs[] = []
  readyState = 0
  sent: unknown[] = []
  onopen: (() => void) | null = null
  onmessage: ((e: { data: unknown }) => void) | null = null
  onclose: ((e: { code: number }) => void) | null = null
  constructor(readonly url: string) {
    FakeWs.all.push(this)
  }
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close() {
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.()
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) })
  }
  drop(code = 1006) {
    this.readyState = 3
    this.onclose?.({ code })
  }
}

function makeSocket(extra: Partial<ConstructorParameters<typeof TelemetrySocket>[0]> = {}) {
  return new TelemetrySocket({
    url: () => 'ws://test/ws/telemetry?token=t',
    WebSocketImpl: FakeWs as unknown as typeof WebSocket,
    random: () => 1,
    ...extra,
  })
}

describe('backoffDelay', () => {
  it('doubles per attempt, keeps between half and all of the ceiling, and stops at the cap', () => {
    expect(backoffDelay(0, 500, 30_000, () => 1)).toBe(500)
    expect(backoffDelay(0, 500, 30_000, () => 0)).toBe(250)
    expect(backoffDelay(3, 500, 30_000, () => 1)).toBe(4000)
    expect(backoffDelay(20, 500, 30_000, () => 1)).toBe(30_000)
    expect(backoffDelay(20, 500, 30_000, () => 0)).toBe(15_000)
  })
})

describe('TelemetrySocket', () => {
  beforeEach(() => {
    FakeWs.all = []
    vi.useFakeTimers()
  })
  afterEach(() => vi.useRealTimers())

  it('dispatches messages by type and reports its state', () => {
    const socket = makeSocket()
    const states: string[] = []
    socket.onState((i) => states.push(i.state))
    const alerts: unknown[] = []
    socket.on('alert', (a) => alerts.push(a))
    socket.start()
    FakeWs.all[0]!.open()
    FakeWs.all[0]!.receive({ type: 'alert', data: { vin: 'V', severity: 'High' } })
    FakeWs.all[0]!.receive({ type: 'telemetry', data: {} })
    FakeWs.all[0]!.onmessage?.({ data: 'not json' })
    expect(alerts).toEqual([{ vin: 'V', severity: 'High' }])
    expect(states).toEqual(['connecting', 'connected'])
    socket.stop()
  })

  it('reconnects with growing delays and re-sends the subscription', () => {
    const socket = makeSocket()
    socket.start()
    FakeWs.all[0]!.open()
    socket.subscribe(['VIN1'])
    expect(FakeWs.all[0]!.sent).toEqual([{ type: 'subscribe', vins: ['VIN1'] }])

    FakeWs.all[0]!.drop()
    expect(socket.connection).toMatchObject({ state: 'reconnecting', attempt: 0 })
    vi.advanceTimersByTime(500)
    expect(FakeWs.all).toHaveLength(2)
    FakeWs.all[1]!.drop() // fails before opening: the next wait doubles
    expect(socket.connection.attempt).toBe(1)
    vi.advanceTimersByTime(999)
    expect(FakeWs.all).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(FakeWs.all).toHaveLength(3)
    FakeWs.all[2]!.open()
    expect(FakeWs.all[2]!.sent).toEqual([{ type: 'subscribe', vins: ['VIN1'] }])
    expect(socket.connection).toMatchObject({ state: 'connected', attempt: 0 })
    socket.stop()
  })

  it('asks for only the topics a page draws, on the URL of every connection and live while open', () => {
    const socket = makeSocket()
    socket.subscribeTopics(['alert', 'ueba'])
    socket.start()
    expect(FakeWs.all[0]!.url).toBe('ws://test/ws/telemetry?token=t&topics=alert,ueba')
    FakeWs.all[0]!.open()
    socket.subscribeTopics(['ueba'])
    expect(FakeWs.all[0]!.sent).toEqual([{ type: 'subscribe', topics: ['ueba'] }])
    FakeWs.all[0]!.drop()
    vi.advanceTimersByTime(500)
    expect(FakeWs.all[1]!.url).toBe('ws://test/ws/telemetry?token=t&topics=ueba')
    // Leaving the page: every type again, for whichever page comes next.
    FakeWs.all[1]!.open()
    socket.subscribeTopics([])
    FakeWs.all[1]!.drop()
    vi.advanceTimersByTime(500)
    expect(FakeWs.all[2]!.url).toBe('ws://test/ws/telemetry?token=t')
    socket.stop()
  })

  it('sends chat only while connected, so the caller can fall back to REST', () => {
    const socket = makeSocket()
    socket.start()
    expect(socket.chat('VIN1', 'hi')).toBe(false)
    FakeWs.all[0]!.open()
    expect(socket.chat('VIN1', 'hi')).toBe(true)
    expect(FakeWs.all[0]!.sent).toEqual([{ type: 'chat', data: { vin: 'VIN1', content: 'hi' } }])
    socket.stop()
  })

  it('gives up and reports when the server refuses the token', () => {
    const onAuthRejected = vi.fn()
    const socket = makeSocket({ onAuthRejected })
    socket.start()
    FakeWs.all[0]!.drop(4401)
    expect(onAuthRejected).toHaveBeenCalledOnce()
    expect(socket.connection.state).toBe('offline')
    vi.advanceTimersByTime(60_000)
    expect(FakeWs.all).toHaveLength(1)
  })

  it('asks the API about the token after repeated failed upgrades', () => {
    const verifyAuth = vi.fn(async () => undefined)
    const socket = makeSocket({ verifyAuth })
    socket.start()
    for (let i = 0; i < 3; i++) {
      FakeWs.all.at(-1)!.drop()
      vi.runOnlyPendingTimers()
    }
    expect(verifyAuth).toHaveBeenCalledOnce()
    socket.stop()
  })

  it('stays offline without a session', () => {
    const onAuthRejected = vi.fn()
    const socket = makeSocket({ url: () => null, onAuthRejected })
    socket.start()
    expect(FakeWs.all).toHaveLength(0)
    expect(socket.connection.state).toBe('offline')
    expect(onAuthRejected).toHaveBeenCalledOnce()
  })
})
