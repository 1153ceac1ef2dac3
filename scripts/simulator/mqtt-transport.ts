import mqtt, { type MqttClient } from 'mqtt'
import { topics } from '../../src/ingest/mqtt-payload.js'
import type { Counters } from './counters.js'
import type { Batch, Unit } from './unit.js'

/** What the service says on a unit's errors topic about a message it did not (wholly) take. */
interface ErrorReport {
  code: string
  rejected?: Array<{ index: number; code: string }>
}

/**
 * One unit's MQTT connection: username = VIN, password = device token, QoS 1. Unacknowledged
 * messages stay in the mqtt package's outgoing store, which resends them after every reconnect;
 * the unit keeps at most `window` of them and holds the rest back in its queue.
 */
export class MqttTransport {
  private client: MqttClient | undefined
  private inFlightMessages = 0
  private connectedOnce = false
  private closing = false

  constructor(
    private readonly unit: Unit,
    private readonly options: { url: string; window: number },
    private readonly counters: Counters,
  ) {}

  /** Connects; rejects when the service refuses the unit or does not answer at all. */
  connect(timeoutMs = 30_000): Promise<void> {
    const { vin } = this.unit
    const client = mqtt.connect(this.options.url, {
      username: vin,
      password: this.unit.plan.token,
      clientId: `sim-${vin}`,
      clean: true,
      reconnectPeriod: 500,
      connectTimeout: 10_000,
    })
    this.client = client
    client.on('connect', () => {
      if (this.connectedOnce) {
        this.counters.reconnects++
        // The outgoing store sends every unacknowledged message again on this connection.
        this.counters.retries += this.inFlightMessages
      }
      this.connectedOnce = true
      this.pump()
    })
    client.on('error', (err) => this.counters.error(`mqtt: ${err.message}`))
    client.on('message', (topic, payload) => {
      if (topic === topics.errors(vin)) this.onErrorReport(payload)
    })
    client.subscribe(topics.errors(vin), { qos: 1 })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${vin}: no CONNACK within ${timeoutMs} ms`)), timeoutMs)
      const fail = (err: Error) => {
        clearTimeout(timer)
        client.end(true)
        reject(err)
      }
      client.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
      // A refusal at CONNACK (bad credentials) is final for the unit; a refused TCP connection is not.
      client.once('error', (err: Error & { code?: unknown }) => {
        if (typeof err.code === 'number') fail(new Error(`${vin}: ${err.message}`))
      })
    })
  }

  /** Publishes queued batches while the window has room. */
  pump(): void {
    const client = this.client
    if (!client) return
    while (this.inFlightMessages < this.options.window && this.unit.queue.length > 0) {
      const batch = this.unit.queue.shift()!
      this.publish(client, batch)
    }
  }

  get idle(): boolean {
    return this.inFlightMessages === 0
  }

  async close(): Promise<void> {
    this.closing = true
    await this.client?.endAsync(true)
  }

  private publish(client: MqttClient, batch: Batch): void {
    const n = batch.steps.length
    this.inFlightMessages++
    this.unit.inFlight += n
    this.counters.messagesSent++
    batch.firstSentAt ??= performance.now()
    client.publish(topics.telemetry(this.unit.vin), JSON.stringify(batch.readings), { qos: 1 }, (err) => {
      this.inFlightMessages--
      this.unit.inFlight -= n
      if (err) {
        // Never stored by the package (a publish queued while it resent its store, and the
        // connection dropped again): the unit keeps the batch and sends it once more.
        this.counters.error(`publish: ${err.message}`)
        this.counters.retries++
        this.unit.queue.unshift(batch)
        if (!this.closing) setTimeout(() => this.pump(), 100)
        return
      }
      this.unit.acknowledge(batch, this.counters)
      this.pump()
    })
  }

  private onErrorReport(payload: Buffer): void {
    let report: ErrorReport
    try {
      report = JSON.parse(String(payload)) as ErrorReport
    } catch {
      this.counters.error('unreadable error report')
      return
    }
    // The report names positions in a message but not the message: counted, not attributed.
    const rejected = report.rejected ?? [{ index: -1, code: report.code }]
    for (const r of rejected) this.counters.reject(r.code, 1)
    this.unit.unattributedRejections += rejected.length
  }
}
