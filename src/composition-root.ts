import { readFileSync } from 'node:fs'
import type { FastifyBaseLogger } from 'fastify'
import { type AgentSystem, createAgents, type RunOptions } from './agents/create-agents.js'
import type { AuditEvent } from './agents/ueba/gate.js'
import { AuthThrottle } from './auth/failure-throttle.js'
import { SessionValidator } from './auth/sessions.js'
import { createTokenService, type TokenService } from './auth/tokens.js'
import type { Cluster } from './cluster/cluster.js'
import type { Config } from './config.js'
import type { DbHandle } from './db/client.js'
import { createRepositories, type Repositories } from './db/repositories/index.js'
import { createIngest, type Ingest } from './ingest/create-ingest.js'
import { createMqttIntake } from './ingest/create-mqtt-intake.js'
import { DataQualityMonitor } from './ingest/data-quality-monitor.js'
import { type EventBus, InProcessEventBus } from './ingest/event-bus.js'
import type { MqttIntakeBase, MqttRefusal } from './ingest/mqtt-intake.js'
import type { HubOptions } from './ingest/ws-hub.js'
import { type MetricSources, ServiceMetrics } from './lib/metrics.js'
import { MetricsServer } from './lib/metrics-server.js'
import { StopSteps } from './lib/stop-steps.js'
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
  /** Revocation: every request's and WebSocket message's token is checked against its account. */
  sessions: SessionValidator
  /** Failed passwords and device tokens per account and address (429 AUTH_THROTTLED past the budget). */
  throttle: AuthThrottle
  /** Device credentials: issue, rotate, authenticate (device routes). */
  devices: DeviceService
  /** The HTTP telemetry intake of devices: rate per device, backpressure, per-reading answers. */
  intake: IntakeService
  /** Device intake over MQTT (embedded broker or MQTT_URL; off: absent); `server.ts` starts it. */
  mqtt: MqttIntakeBase | undefined
  /** Accounts and the fleet: create, change, decommission; keeps the pipeline's directory current. */
  onboarding: OnboardingService
  /** Stale, stuck and implausible data per vehicle: staff-only data-quality alarms. */
  dataQuality: DataQualityMonitor
  /** Real-time messages to WebSocket clients (telemetry, alerts, chat, bookings, security). */
  bus: EventBus
  /** This process's part in a NATS cluster (roles, partitions, lag); absent without NATS_URL. */
  cluster: Cluster | undefined
  version: string
  /** Prometheus metrics (one registry per Services): `/api/metrics` for staff, and `metricsEndpoint`. */
  metrics: ServiceMetrics
  /** `GET /metrics` on METRICS_PORT, started when the app listens; absent when the port is off. */
  metricsEndpoint: MetricsServer | undefined
  /** Named snapshots shown by `/api/health` (stream counts, write failures, ...). */
  health: ReadonlyMap<string, () => unknown>
  /** True until stopping begins: intake routes answer 503 after it, as the pipeline refuses. */
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
  /** Where `stop()` is: the step under way and those done (a stop past its timeout names it). */
  readonly stopSteps: StopSteps
}

export interface ServiceOptions {
  config: Config
  db: DbHandle
  log: FastifyBaseLogger
  /** Defaults to an in-process bus (the cluster's, with one). */
  bus?: EventBus
  /**
   * Scale-out (NATS_URL): device intake publishes to the stream, events go over NATS, and a
   * consuming role takes readings from the partitions it leases. Connected by `server.ts`.
   */
  cluster?: Cluster
  hub?: HubOptions
  runs?: RunOptions
}

export function createServices(options: ServiceOptions): Services {
  const { config, db, log, cluster } = options
  const repos = createRepositories(db.db)
  const bus =
    cluster?.bus ??
    options.bus ??
    new InProcessEventBus((err) => log.error({ err }, 'event subscriber failed'))
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
  const sessions = new SessionValidator(repos.users, { cacheMs: config.auth.sessionCacheMs })
  const throttle = new AuthThrottle(config.auth)
  const onboarding = new OnboardingService({ repos, devices, directory: ingest.pipeline, sessions })
  const metrics = new ServiceMetrics({ version: VERSION })
  const agents = createAgents({
    config,
    repos,
    bus,
    log,
    runs: options.runs,
    telemetry: ingest.series,
    // A lock ends the user's open sockets at once, not at their next message or recheck.
    onUserLocked: (userId) => sessions.suspended(userId, 'account locked'),
    observer: metrics,
  })
  const { analytics } = agents
  const hooks = {
    throttledFor: (vin: string) => analytics.throttledFor(vin),
    onRejected: (vin: string, codes: string[]) => analytics.observeRejectedReadings(vin, codes),
  }
  // In a cluster a reading is safe once on the stream; the worker owning its vehicle stores it.
  const sink = cluster?.publisher ?? ingest.pipeline
  const intake = new IntakeService(sink, { rate: config.deviceRate, hooks })
  ingest.pipeline.addObserver(agents.episodes)
  const dataQuality = new DataQualityMonitor({ repos, bus, log }, config.dataQuality)
  ingest.pipeline.addObserver(dataQuality)
  const health = new Map<string, () => unknown>([
    ...Object.entries(probes),
    ['agents', () => agents.episodes.stats],
    ['ueba_audit', () => agents.agents.ueba.auditStats],
    ['ueba_analytics', () => agents.analyticsStore.stats],
    ['device_auth', () => devices.stats],
    ['auth_throttle', () => throttle.stats],
    ['sessions', () => sessions.stats],
    ['device_intake', () => intake.stats],
    ['data_quality', () => dataQuality.stats],
  ])
  if (cluster) {
    health.set('cluster', () => cluster.snapshot())
    metrics.registerClusterGauges({ partitions: () => cluster.partitionMetrics() })
  }
  const mqtt = createMqttIntake(config, {
    pipeline: sink,
    bus,
    log,
    devices,
    throttle,
    hooks,
    onRefusal: (r) => agents.agents.ueba.record(mqttAuditEvent(r), { urgent: false }),
  })
  if (mqtt) health.set('mqtt', () => mqtt.stats)
  metrics.readFrom(metricSources({ ...ingest, db, intake, mqtt, system: agents }))
  const metricsEndpoint = config.metrics && new MetricsServer(metrics, config.metrics, log)
  if (metricsEndpoint) health.set('metrics_endpoint', () => metricsEndpoint.stats)

  const stopIntake = () => {
    if (ingest.pipeline.draining) return
    cluster?.stopIntake()
    ingest.pipeline.stopIntake()
    log.info({ accepted: ingest.pipeline.stats.accepted }, 'intake stopped')
  }
  let stopping: Promise<void> | undefined
  const steps = new StopSteps()
  return {
    config,
    db,
    repos,
    tokens: createTokenService(config.jwt),
    sessions,
    throttle,
    devices,
    onboarding,
    intake,
    mqtt,
    dataQuality,
    bus,
    cluster,
    version: VERSION,
    metrics,
    metricsEndpoint,
    health,
    ...ingest,
    ...agents,
    get accepting() {
      return !ingest.pipeline.draining
    },
    stopIntake,
    stopSteps: steps,
    async start() {
      // Partitions ahead and retention before any write; the rollup catch-up runs behind readiness.
      await ingest.maintenance.start()
      // Audit rows an earlier life left in the spool go in before any new one.
      await agents.agents.ueba.open()
      // Baselines, scores and quarantines of the last life hold before any traffic is judged.
      await agents.analyticsStore.start()
      void ingest.rollups.catchUp()
      await ingest.pipeline.loadVehicles()
      await agents.episodes.loadOpenEpisodes()
      await dataQuality.loadOpen()
      if (cluster?.consumes && !ingest.pipeline.draining) {
        const { episodes } = agents
        cluster.startConsuming(
          ingest.pipeline,
          () => episodes.countersWritten(),
          async (inPartition) => episodes.takeOver(await ingest.pipeline.reloadVehicles(inPartition)),
        )
      }
      const stream = ingest.stream
      if (!stream) return
      // On a persisted database the replay continues after what is stored of its own vehicles
      // instead of row 1 (the engine logs where it resumes).
      const resumeAfter = (vins: readonly string[]) => repos.telemetry.resumePoint(vins)
      // A live replay's stamps are wall-clock times; its runs say which step the last one was.
      const ledger = repos.replaySegments.ledger(config.dataset.path)
      // Not awaited: loading a large file (the public one is 93 MB) must not delay readiness.
      ingest.pipeline.start({
        streamData: (hooks) => stream.streamData({ resumeAfter, ledger, ...hooks }),
        stop: () => stream.stop(),
      })
    },
    stop() {
      const step = steps.run.bind(steps)
      const left = (started: number) => Math.max(0, config.shutdownTimeoutMs - (Date.now() - started))
      stopping ??= (async () => {
        const started = Date.now()
        stopIntake()
        await step('mqtt', () => mqtt?.close())
        await step('pipeline', () => ingest.pipeline.stop())
        await step('agent runs', () => agents.episodes.close())
        const unwritten = await step('audit', () => agents.agents.ueba.close(left(started)))
        if (unwritten > 0)
          log.warn({ audit: agents.agents.ueba.auditStats }, 'audit rows not in the database at stop')
        await step('data quality', () => dataQuality.drain())
        await step('ueba analytics', () => agents.analyticsStore.stop())
        ingest.hub.close()
        await step('writer', () => ingest.writer.close({ timeoutMs: left(started) }))
        const writer = ingest.writer.stats
        if (writer.pending > 0) log.error({ writer }, 'stopped with readings not written')
        else log.info({ writer, stop_ms: Date.now() - started }, 'pipeline drained')
        // Committed, so acknowledged: now the partitions go to the other workers at once.
        await step('cluster', () => cluster?.stop(left(started)))
        await step('maintenance', () => ingest.maintenance.stop())
        await step('rollups', () => ingest.rollups.close())
        // Last: a scrape during the stop sees the drain.
        await step('metrics endpoint', () => metricsEndpoint?.close())
      })()
      return stopping
    },
  }
}

/** What the metrics read at scrape time: the snapshots `/api/health` shows too. */
function metricSources(
  s: Pick<Services, 'pipeline' | 'writer' | 'hub' | 'db' | 'intake' | 'mqtt'> & { system: AgentSystem },
): MetricSources {
  const { mqtt } = s
  return {
    pipeline: () => s.pipeline.stats,
    writer: () => s.writer.stats,
    agents: () => s.system.episodes.stats,
    websocket: () => s.hub.stats,
    httpIntake: () => s.intake.stats,
    ...(mqtt ? { mqtt: () => mqtt.stats } : {}),
    db: () => ({ kind: s.db.kind, ...s.db.pool() }),
    audit: () => s.system.agents.ueba.auditStats,
  }
}

function mqttAuditEvent(r: MqttRefusal): AuditEvent {
  return {
    actor: r.vin
      ? { kind: 'device', id: r.vin, label: 'device' }
      : { kind: 'anonymous', id: r.address, label: 'anonymous' },
    action: r.kind === 'connect' ? 'device_auth' : `mqtt_${r.kind}`,
    resource: r.topic ? `MQTT ${r.topic}` : 'MQTT CONNECT',
    decision: 'BLOCKED',
    reason: r.reason,
    vin: r.vin,
    details: { username: r.username, address: r.address },
  }
}
