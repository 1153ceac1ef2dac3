import { readFileSync } from 'node:fs'
import type { FastifyBaseLogger } from 'fastify'
import { type AgentSystem, createAgents, type RunOptions } from './agents/create-agents.js'
import { createTokenService, type TokenService } from './auth/tokens.js'
import type { Config } from './config.js'
import type { DbHandle } from './db/client.js'
import { createRepositories, type Repositories } from './db/repositories/index.js'
import { createIngest, type Ingest } from './ingest/create-ingest.js'
import { type EventBus, InProcessEventBus } from './ingest/event-bus.js'
import { MqttBridge } from './ingest/mqtt-bridge.js'
import { EmbeddedMqttIntake, type MqttIntakeBase } from './ingest/mqtt-intake.js'
import type { HubOptions } from './ingest/ws-hub.js'
import { DeviceService } from './services/device.service.js'
import { IntakeService } from './services/intake.service.js'
import { OnboardingService } from './services/onboarding.service.js'
import { FLEET_VEHICLES } from './simulation/fleet.js'

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version

/**
 * Everything the service is made of, built once over an open database: the one place that
 * decides what depends on what. `buildApp` puts it on the Fastify instance (`app.services`);
 * the server, the tests and the benchmarks all get it that way, or call `createServices` alone.
 */
export interface Services extends AgentSystem, Omit<Ingest, 'probes'> {
  config: Config
  db: DbHandle
  repos: Repositories
  tokens: TokenService
  /** Device credentials: issue, rotate, authenticate (device routes). */
  devices: DeviceService
  /** The HTTP telemetry intake of devices: rate per device, backpressure, per-reading answers. */
  intake: IntakeService
  /**
   * Device intake over MQTT (embedded broker, or a client of MQTT_URL); absent when MQTT is off.
   * Built here, listened on by `server.ts` (`mqtt.start()`), like the HTTP port.
   */
  mqtt: MqttIntakeBase | undefined
  /** Accounts and the fleet: create, change, decommission; keeps the pipeline's directory current. */
  onboarding: OnboardingService
  /** Real-time messages to WebSocket clients (telemetry, alerts, chat, bookings, security). */
  bus: EventBus
  version: string
  /** Named snapshots shown by `/api/health` (stream counts, write failures, ...). */
  health: ReadonlyMap<string, () => unknown>
  /**
   * True until stopping begins. Intake routes check it and answer 503 while draining; the
   * pipeline refuses readings by itself as well (`draining`).
   */
  readonly accepting: boolean
  /** Loads what the hot path keeps in memory (vehicles, open episodes), then starts the replay. */
  start(): Promise<void>
  /**
   * Stops intake at once and synchronously (the replay ends, the pipeline takes nothing more), so
   * that nothing is ingested once stopping began. Idempotent; `stop()` and the app's close begin with it.
   */
  stopIntake(): void
  /**
   * Stops in the order that loses nothing: intake first (the replay), then the agent runs and
   * their counters, then the WebSocket hub, then the telemetry writer's last batches (retried
   * while the database fails, for up to SHUTDOWN_TIMEOUT_MS), then the telemetry maintenance and
   * the rollups of those batches. The database stays open: its owner closes it.
   */
  stop(): Promise<void>
}

export interface ServiceOptions {
  config: Config
  db: DbHandle
  log: FastifyBaseLogger
  /** Defaults to an in-process bus. */
  bus?: EventBus
  hub?: HubOptions
  runs?: RunOptions
}

export function createServices(options: ServiceOptions): Services {
  const { config, db, log } = options
  const repos = createRepositories(db.db)
  const bus = options.bus ?? new InProcessEventBus((err) => log.error({ err }, 'event subscriber failed'))
  const { probes, ...ingest } = createIngest({
    config,
    db,
    repos,
    bus,
    log,
    hub: options.hub,
    defaultVin: FLEET_VEHICLES[0]?.vin,
  })
  const devices = new DeviceService(repos)
  const onboarding = new OnboardingService({ repos, devices, directory: ingest.pipeline })
  const intake = new IntakeService(ingest.pipeline, { rate: config.deviceRate })
  const agents = createAgents({ config, repos, bus, log, runs: options.runs })
  ingest.pipeline.addObserver(agents.episodes)
  const health = new Map<string, () => unknown>([
    ...Object.entries(probes),
    ['agents', () => agents.episodes.stats],
    ['ueba_audit', () => agents.agents.ueba.auditStats],
    ['device_auth', () => devices.stats],
    ['device_intake', () => intake.stats],
  ])
  const mqtt = mqttIntake(config, { pipeline: ingest.pipeline, bus, log, devices })
  if (mqtt) health.set('mqtt', () => mqtt.stats)

  const stopIntake = () => {
    if (ingest.pipeline.draining) return
    ingest.pipeline.stopIntake()
    log.info({ accepted: ingest.pipeline.stats.accepted }, 'intake stopped')
  }
  let stopping: Promise<void> | undefined
  return {
    config,
    db,
    repos,
    tokens: createTokenService(config.jwt),
    devices,
    onboarding,
    intake,
    mqtt,
    bus,
    version: VERSION,
    health,
    ...ingest,
    ...agents,
    get accepting() {
      return !ingest.pipeline.draining
    },
    stopIntake,
    async start() {
      // Partitions ahead and retention before any write; the rollup catch-up runs behind readiness.
      await ingest.maintenance.start()
      void ingest.rollups.catchUp()
      await ingest.pipeline.loadVehicles()
      await agents.episodes.loadOpenEpisodes()
      const stream = ingest.stream
      if (!stream) return
      // On a persisted database the replay continues after what is stored instead of row 1.
      const resumeAfter = await repos.telemetry.latestTimestamp()
      log.info({ resume_after: resumeAfter?.toISOString() ?? null }, 'replay starting')
      // Not awaited: loading a large file (the public one is 93 MB) must not delay readiness.
      ingest.pipeline.start({
        streamData: () => stream.streamData({ resumeAfter }),
        stop: () => stream.stop(),
      })
    },
    stop() {
      stopping ??= (async () => {
        const started = Date.now()
        stopIntake()
        await mqtt?.close()
        await ingest.pipeline.stop()
        await agents.episodes.close()
        ingest.hub.close()
        await ingest.writer.close({
          timeoutMs: Math.max(0, config.shutdownTimeoutMs - (Date.now() - started)),
        })
        const writer = ingest.writer.stats
        if (writer.pending > 0) log.error({ writer }, 'stopped with readings not written')
        else log.info({ writer, stop_ms: Date.now() - started }, 'pipeline drained')
        await ingest.maintenance.stop()
        await ingest.rollups.close()
      })()
      return stopping
    },
  }
}

function mqttIntake(
  config: Config,
  deps: ConstructorParameters<typeof EmbeddedMqttIntake>[0],
): MqttIntakeBase | undefined {
  if (!config.mqtt) return undefined
  if (config.mqtt.url) return new MqttBridge(deps, config.mqtt.url, config.mqtt.shareGroup)
  return new EmbeddedMqttIntake(deps, { port: config.mqtt.port, host: config.mqtt.host })
}
