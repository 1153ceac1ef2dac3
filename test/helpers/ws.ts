import WebSocket from 'ws'

export interface WsMessage {
  type: string
  data: Record<string, unknown> & { vin?: string }
}

/** A real WebSocket client that records every message it receives. */
export class TestClient {
  readonly messages: WsMessage[] = []
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => this.messages.push(JSON.parse(raw.toString())))
  }

  static connect(url: string, headers?: Record<string, string>): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers })
      const client = new TestClient(socket)
      socket.once('open', () => resolve(client))
      socket.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)))
      socket.once('error', reject)
    })
  }

  /** Resolves with the HTTP status of a refused upgrade. */
  static refusal(url: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url)
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
        socket.terminate()
      })
      socket.once('open', () => reject(new Error('upgrade was accepted')))
      socket.once('error', () => undefined)
    })
  }

  of(type: string): WsMessage[] {
    return this.messages.filter((m) => m.type === type)
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value))
  }

  async waitFor(predicate: (m: WsMessage) => boolean, timeoutMs = 5000): Promise<WsMessage> {
    const started = Date.now()
    for (;;) {
      const found = this.messages.find(predicate)
      if (found) return found
      if (Date.now() - started > timeoutMs) throw new Error(`no matching message within ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve()
      this.socket.once('close', () => resolve())
      this.socket.close()
    })
  }
}
