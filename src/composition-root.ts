import { readFileSync } from 'node:fs'
import type { FastifyBaseLogger } from 'fastify'
import { type AgentSystem, createAgents } from './agents/create-agents.js'
import { createTokenService, type TokenService } from './auth/tokens.js'
import type { Config } from './config.js'
import type { DbHandle } from './db/client.js'
import { createRepositories, type Repositories } from './db/repositories/index.js'
import { createIngest, type Ingest } from './ingest/create-ingest.js'
import { type EventBus, InProcessEventBus } from './ingest/event-bus.js'
import type { HubOptions } from './ingest/ws-hub.js'
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
  /** Real-time messages to WebSocket clients (telemetry, alerts, chat, bookings, security). */
  bus: EventBus
  version: string
  /** Named snapshots shown by `/api/health` (stream counts, write failures, ...). */
  health: ReadonlyMap<string, () => unknown>
  /** Loads what the hot path keeps in memory (vehicles, open episodes), then starts the replay. */
  start(): Promise<void>
  /**
   * Stops in the order that loses nothing: intake first (the replay), then the agent runs and
   * their counters, then the WebSocket hub, then the telemetry writer's last batch, then the
   * telemetry maintenance and the rollups of that batch. The database
   * stays open: its owner closes it.
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
  runs?: { maxConcurrentRuns?: number; maxConcurrentFollowUps?: number }
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
  const agents = createAgents({ config, repos, bus, log, runs: options.runs })
  ingest.pipeline.addObserver(agents.episodes)
  const health = new Map<string, () => unknown>([
    ...Object.entries(probes),
    ['agents', () => agents.episodes.stats],
    ['ueba_audit', () => agents.agents.ueba.auditStats],
  ])

  let stopping: Promise<void> | undefined
  return {
    config,
    db,
    repos,
    tokens: createTokenService(config.jwt),
    bus,
    version: VERSION,
    health,
    ...ingest,
    ...agents,
    async start() {
      // Partitions ahead and retention before any write; the rollup catch-up runs behind readiness.
      await ingest.maintenance.start()
      void ingest.rollups.catchUp()
      await ingest.pipeline.loadVehicles()
      await agents.episodes.loadOpenEpisodes()
      // Not awaited: loading a large file (the public one is 93 MB) must not delay readiness.
      if (ingest.stream) ingest.pipeline.start(ingest.stream)
    },
    stop() {
      stopping ??= (async () => {
        await ingest.pipeline.stop()
        await agents.episodes.close()
        ingest.hub.close()
        await ingest.writer.close()
        await ingest.maintenance.stop()
        await ingest.rollups.close()
      })()
      return stopping
    },
  }
}
