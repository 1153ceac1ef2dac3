import { createServer, type Server } from 'node:net'
import { Aedes, type AuthenticateError, type Client } from 'aedes'
import type { FastifyBaseLogger } from 'fastify'
import type { AuthThrottle } from '../auth/failure-throttle.js'
import type { EventBus } from './event-bus.js'
import type { IntakeHooks } from './intake-hooks.js'
import { MqttIntakeBase } from './mqtt-intake-base.js'
import { topics, vinOfTelemetryTopic } from './mqtt-payload.js'
import type { ReadingSink } from './pipeline-types.js'

export { MqttIntakeBase, type MqttStats } from './mqtt-intake-base.js'

/** Checks a unit's device token; the composition root hands in the device service. */
export interface DeviceAuthenticator {
  authenticate(token: string): Promise<{ vin: string } | undefined>
}

/** A connection, publish or subscription the broker refused (for the audit log). */
export interface MqttRefusal {
  kind: 'connect' | 'publish' | 'subscribe'
  /** The username the unit claimed (its VIN), if any. */
  username: string | null
  /** The authenticated VIN (publish, subscribe). */
  vin: string | null
  topic: string | null
  address: string | null
  /** `CONNACK_4` (bad credentials), `CONNACK_3` (could not be checked), `TOPIC_NOT_ALLOWED`. */
  reason: string
}

/**
 * The embedded broker (aedes) that vehicles connect to: username = VIN, password = device token.
 * A unit may publish only to its own telemetry topic and subscribe only to its own alerts and
 * errors. A QoS 1 PUBACK is sent once the readings are stored: storage happens in
 * `authorizePublish`, which aedes completes before it acknowledges.
 */
export class EmbeddedMqttIntake extends MqttIntakeBase {
  private broker: Aedes | undefined
  private server: Server | undefined
  private readonly devices: DeviceAuthenticator
  private readonly throttle: Pick<AuthThrottle, 'retryAfter' | 'fail' | 'succeed'> | undefined
  private readonly vinOf = new WeakMap<Client, string>()

  constructor(
    deps: {
      pipeline: ReadingSink
      bus: EventBus
      log: FastifyBaseLogger
      devices: DeviceAuthenticator
      hooks?: IntakeHooks
      /** Told of every refusal (the composition root records them in the audit log). */
      onRefusal?: (refusal: MqttRefusal) => void
      /** Failed CONNECTs share the HTTP device routes' budget: per VIN and per client address. */
      throttle?: Pick<AuthThrottle, 'retryAfter' | 'fail' | 'succeed'>
    },
    private readonly listenOn: { port: number; host: string },
  ) {
    super(deps, 'embedded')
    this.devices = deps.devices
    this.onRefusal = deps.onRefusal
    this.throttle = deps.throttle
  }

  private readonly onRefusal: ((refusal: MqttRefusal) => void) | undefined

  private refused(client: Client | null, refusal: Omit<MqttRefusal, 'address'>): void {
    const address = client ? addressOf(client) : null
    this.onRefusal?.({ ...refusal, address })
  }

  /** Listens; a port in use leaves the service up, with MQTT reported unavailable and why. */
  async start(): Promise<void> {
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) =>
        void this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => {
        const vin = client ? this.vinOf.get(client) : undefined
        if (!client) return done(null) // the service's own publishes (alerts, errors)
        if (!vin || vinOfTelemetryTopic(packet.topic) !== vin) {
          this.stats_.refusedPublishes++
          this.refused(client, {
            kind: 'publish',
            username: null,
            vin: vin ?? null,
            topic: packet.topic,
            reason: 'TOPIC_NOT_ALLOWED',
          })
          this.deps.log.warn(
            { vin, topic: packet.topic },
            'mqtt publish outside the unit’s own topic refused',
          )
          return done(new Error('not authorized'))
        }
        this.take(vin, packet.payload as Buffer).then(
          () => done(null),
          (err) => done(err instanceof Error ? err : new Error(String(err))),
        )
        // Readings are stored, not relayed: the unit's own telemetry has no other subscribers.
      },
      authorizeForward: (_client, packet) => (vinOfTelemetryTopic(packet.topic) ? null : packet),
      authorizeSubscribe: (client, sub, done) => {
        const vin = this.vinOf.get(client)
        if (vin && (sub.topic === topics.alerts(vin) || sub.topic === topics.errors(vin)))
          return done(null, sub)
        this.stats_.refusedSubscriptions++
        this.refused(client, {
          kind: 'subscribe',
          username: null,
          vin: vin ?? null,
          topic: sub.topic,
          reason: 'TOPIC_NOT_ALLOWED',
        })
        done(null, null) // a SUBACK with the failure code
      },
    })
    broker.on('client', () => this.stats_.clients++)
    broker.on('clientDisconnect', () => this.stats_.clients--)
    this.broker = broker
    const server = createServer(broker.handle)
    this.server = server
    await new Promise<void>((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        this.stats_.status = 'unavailable'
        this.stats_.reason = `${err.code ?? 'error'} on port ${this.listenOn.port}: ${err.message}`
        this.deps.log.warn(
          { err, port: this.listenOn.port },
          `MQTT intake unavailable: cannot listen on MQTT_PORT=${this.listenOn.port} (${err.code}); set MQTT_PORT to a free port or MQTT_URL to use an external broker`,
        )
        resolve()
      })
      server.listen(this.listenOn.port, this.listenOn.host, () => {
        const address = server.address()
        this.stats_.port = typeof address === 'object' && address ? address.port : this.listenOn.port
        this.stats_.status = 'up'
        resolve()
      })
    })
  }

  protected publish(topic: string, payload: string): void {
    this.broker?.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, () => {})
  }

  protected async shutdown(): Promise<void> {
    const { server, broker } = this
    // The listener's close waits for every connection to end, and only the broker ends them: a
    // connected unit would otherwise hold the stop until the shutdown timeout.
    const closed = server?.listening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve()
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()))
    await closed
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): Promise<void> {
    // CONNACK 4: bad username or password; 3: server unavailable (the credentials could not be
    // checked, or too many failures: try later, the way a unit backs off from a busy broker).
    const refuse = (returnCode: 3 | 4, throttled = false) => {
      this.stats_.refusedConnections++
      this.refused(client, {
        kind: 'connect',
        username: username ?? null,
        vin: null,
        topic: null,
        reason: `CONNACK_${returnCode}`,
      })
      this.deps.log.info({ username, returnCode, throttled }, 'mqtt connection refused')
      const err = new Error(
        returnCode === 4 ? 'Bad username or password' : 'Server unavailable',
      ) as AuthenticateError
      err.returnCode = returnCode
      done(err, null)
    }
    const address = addressOf(client) ?? 'unknown'
    const attempt = { account: username, address }
    if (this.throttle?.retryAfter('device', attempt) !== undefined) return refuse(3, true)
    if (!username || !password) {
      this.throttle?.fail('device', attempt)
      return refuse(4)
    }
    let device: { vin: string } | undefined
    try {
      device = await this.devices.authenticate(password.toString('utf8'))
    } catch (err) {
      this.deps.log.error({ err }, 'device authentication failed')
      return refuse(3)
    }
    if (!device || device.vin !== username) {
      this.throttle?.fail('device', attempt)
      return refuse(4)
    }
    this.throttle?.succeed('device', username)
    this.vinOf.set(client, device.vin)
    done(null, true)
  }
}

/** The unit's network address, for the audit log and the failure throttle. */
function addressOf(client: Client): string | null {
  return (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? null
}
