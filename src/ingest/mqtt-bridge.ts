import type { FastifyBaseLogger } from 'fastify'
import mqtt, { type MqttClient } from 'mqtt'
import type { EventBus } from './event-bus.js'
import type { IntakeHooks } from './intake-hooks.js'
import { MqttIntakeBase } from './mqtt-intake-base.js'
import { vinOfTelemetryTopic } from './mqtt-payload.js'
import type { ReadingSink } from './pipeline-types.js'

/** Every service instance joins one shared subscription, so each message reaches one of them. */
export function sharedTelemetry(group: string): string {
  return `$share/${group}/vehicles/+/telemetry`
}

/**
 * The service as a client of an external broker (MQTT_URL, e.g. the machine's Mosquitto):
 * devices authenticate with that broker, and it enforces their topics. The same validation and
 * exactly-once rules apply; a QoS 1 message is acknowledged once its readings are stored
 * (`customHandleAcks` holds the PUBACK back until then).
 */
export class MqttBridge extends MqttIntakeBase {
  private client: MqttClient | undefined

  constructor(
    deps: { pipeline: ReadingSink; bus: EventBus; log: FastifyBaseLogger; hooks?: IntakeHooks },
    private readonly url: string,
    private readonly shareGroup: string,
    private readonly clientId = `autonoma-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  ) {
    super(deps, 'external')
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.url, {
      clientId: this.clientId,
      clean: true,
      // MQTT 5: Mosquitto delivers `$share/...` subscriptions to v5 clients only.
      protocolVersion: 5,
      reconnectPeriod: 1000,
      customHandleAcks: (topic, payload, _packet, done) => {
        const vin = vinOfTelemetryTopic(topic)
        if (!vin) return done(0)
        this.take(vin, payload).then(
          () => done(0),
          // Not acknowledged: the broker sends it again.
          (err) => done(err instanceof Error ? err : new Error(String(err))),
        )
      },
    })
    this.client = client
    // Subscribed on every (re)connection: with a clean session the broker forgets it.
    const subscribed = () =>
      new Promise<void>((resolve) => {
        client.subscribe(sharedTelemetry(this.shareGroup), { qos: 1 }, (err) => {
          if (err) this.deps.log.error({ err }, 'mqtt subscription failed')
          else {
            this.stats_.status = 'up'
            this.stats_.reason = null
          }
          resolve()
        })
      })
    client.on('connect', () => void subscribed())
    client.on('error', (err) => {
      this.stats_.reason = err.message
      this.deps.log.warn({ err, url: this.url }, 'mqtt broker connection error')
    })
    client.on('offline', () => {
      if (this.stats_.status !== 'closed') this.stats_.status = 'unavailable'
    })
    // Resolves once subscribed, or at the first failure; reconnection continues in the background.
    await new Promise<void>((resolve) => {
      client.once('connect', () => subscribed().then(resolve))
      client.once('error', () => resolve())
    })
  }

  protected publish(topic: string, payload: string): void {
    this.client?.publish(topic, payload, { qos: 1 })
  }

  protected async shutdown(): Promise<void> {
    await this.client?.endAsync()
  }
}
