import WebSocket from 'ws'
import { ServerMessageSchemas, type ServerMessageType } from '../../src/ingest/messages.js'

export interface WsMessage {
  type: string
  data: Record<string, unknown> & { vin?: string }
}

/**
 * A real WebSocket client that records every message it receives, and checks each against the
 * real-time contract: `close()` fails the test if any message broke it.
 */
export class TestClient {
  readonly messages: WsMessage[] = []
  /** Messages that do not match their type's schema in src/ingest/messages.ts. */
  readonly contractViolations: string[] = []
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as WsMessage
      this.messages.push(message)
      const schema = ServerMessageSchemas[message.type as ServerMessageType]
      const parsed = schema?.safeParse(message.data)
      if (!parsed?.success) {
        const issues = parsed?.error.issues.map((i) => i.path.join('.') || i.message).join(', ')
        this.contractViolations.push(`${message.type}: ${issues ?? 'unknown message type'}`)
      }
    })
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

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve()
      this.socket.once('close', () => resolve())
      this.socket.close()
    })
    if (this.contractViolations.length > 0) {
      throw new Error(
        `messages broke the real-time contract: ${this.contractViolations.slice(0, 5).join('; ')}`,
      )
    }
  }
}
