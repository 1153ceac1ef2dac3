import type { FastifyBaseLogger } from 'fastify'
import type { EventBus } from './event-bus.js'
import type { IntakeHooks } from './intake-hooks.js'
import { errorReport, type PayloadOutcome, takePayload, topics } from './mqtt-payload.js'
import type { ReadingSink } from './pipeline-types.js'

/** Refusals that mean "later": the message is left unacknowledged rather than reported. */
const SEND_AGAIN: ReadonlySet<string> = new Set(['SHUTTING_DOWN', 'OVERLOADED'])

export interface MqttStats {
  mode: 'embedded' | 'external'
  status: 'starting' | 'up' | 'unavailable' | 'closed'
  reason: string | null
  port: number | null
  clients: number
  messages: number
  stored: number
  duplicates: number
  rejected: number
  refusedConnections: number
  refusedPublishes: number
  refusedSubscriptions: number
  /** Messages of throttled devices (not acknowledged: sent again later). */
  throttled: number
  alertsPublished: number
}

/** What both intake modes share: counting a message's results and telling the unit what was refused. */
export abstract class MqttIntakeBase {
  protected readonly stats_: MqttStats
  private readonly unsubscribe: () => void

  constructor(
    protected readonly deps: {
      pipeline: ReadingSink
      bus: EventBus
      log: FastifyBaseLogger
      hooks?: IntakeHooks
    },
    mode: MqttStats['mode'],
  ) {
    this.stats_ = {
      mode,
      status: 'starting',
      reason: null,
      port: null,
      clients: 0,
      messages: 0,
      stored: 0,
      duplicates: 0,
      rejected: 0,
      refusedConnections: 0,
      refusedPublishes: 0,
      refusedSubscriptions: 0,
      throttled: 0,
      alertsPublished: 0,
    }
    // Every alert of a vehicle also goes to its unit, on vehicles/{vin}/alerts.
    this.unsubscribe = deps.bus.subscribe((message) => {
      if (message.type !== 'alert' || !message.vin || this.stats_.status !== 'up') return
      this.publish(topics.alerts(message.vin), message.dataJson ?? JSON.stringify(message.data))
      this.stats_.alertsPublished++
    })
  }

  get stats(): MqttStats {
    return { ...this.stats_ }
  }

  abstract start(): Promise<void>
  protected abstract publish(topic: string, payload: string): void
  protected abstract shutdown(): Promise<void>

  async close(): Promise<void> {
    this.unsubscribe()
    if (this.stats_.status === 'closed') return
    this.stats_.status = 'closed'
    await this.shutdown()
  }

  /**
   * Takes one telemetry message of `vin`; resolves when the unit may be acknowledged, rejects when
   * it must not be: a reading refused for now (stopping, overloaded) is not stored, and a PUBACK
   * would tell the unit to forget it. Not acknowledged, the message is sent again (the embedded
   * broker drops the connection, an external one redelivers); what was stored then is a duplicate.
   */
  protected async take(vin: string, payload: Buffer): Promise<void> {
    this.stats_.messages++
    const wait = this.deps.hooks?.throttledFor?.(vin) ?? 0
    if (wait > 0 && ++this.stats_.throttled)
      throw new Error(`device throttled for ${wait} s; not acknowledged`)
    const outcome: PayloadOutcome = await takePayload(this.deps.pipeline, vin, payload)
    let later = 0
    const impossible: string[] = []
    for (const r of outcome.results) {
      if (r.status === 'stored') this.stats_.stored++
      else if (r.status === 'duplicate') this.stats_.duplicates++
      else {
        this.stats_.rejected++
        if (SEND_AGAIN.has(r.code)) later++
        else impossible.push(r.code)
      }
    }
    if (impossible.length > 0) this.deps.hooks?.onRejected?.(vin, impossible)
    if (outcome.refused) this.stats_.rejected++
    if (later > 0) {
      this.deps.log.info({ vin, readings: later }, 'mqtt message not acknowledged: readings refused for now')
      throw new Error(`${later} readings refused for now; not acknowledged, send the message again`)
    }
    const report = errorReport(outcome)
    if (report) {
      this.deps.log.info(
        { vin, code: outcome.refused?.code ?? 'READINGS_REJECTED' },
        'mqtt readings rejected',
      )
      this.publish(topics.errors(vin), report)
    }
  }
}
