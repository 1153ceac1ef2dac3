import { createServer, type Server } from 'node:net'
import { Aedes, type AuthenticateError, type Client } from 'aedes'
import type { FastifyBaseLogger } from 'fastify'
import type { AuthThrottle } from '../auth/failure-throttle.js'
import type { EventBus } from './event-bus.js'
import type { IntakeHooks } from './intake-hooks.js'
import { errorReport, type PayloadOutcome, takePayload, topics, vinOfTelemetryTopic } from './mqtt-payload.js'
import type { IngestionPipeline } from './pipeline.js'

/** Refusals that mean "later": the message is left unacknowledged rather than reported. */
const SEND_AGAIN: ReadonlySet<string> = new Set(['SHUTTING_DOWN', 'OVERLOADED'])

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
      pipeline: IngestionPipeline
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
      pipeline: IngestionPipeline
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
    const address = (client?.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? null
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
    const address = (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? 'unknown'
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
