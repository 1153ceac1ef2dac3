import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { Repositories } from '../db/repositories/index.js'
import type { NewUebaLog } from '../db/repositories/ueba.js'
import type { UebaLogEntry } from '../db/schema.js'
import { READING_WINDOW_MINUTES } from '../domain.js'
import type { EventBus } from '../ingest/event-bus.js'
import { BookingService } from '../services/booking.service.js'
import { ForecastService } from '../services/forecast.service.js'
import { ChatAgent } from './chat/chat-agent.js'
import { Conversation } from './chat/conversation.js'
import { DataAnalysisAgent } from './detection/data-agent.js'
import { loadRules } from './detection/rules.js'
import { type EpisodeDeps, EpisodeManager } from './episodes/episode-manager.js'
import { Notifier } from './episodes/notifier.js'
import { AgentCapabilities, type TelemetryReader } from './graph/capabilities.js'
import type { AgentDeps } from './graph/nodes.js'
import { buildMasterGraph, type MasterGraph } from './master.js'
import { BehaviourAnalytics } from './ueba/analytics.js'
import { AnalyticsPersistence } from './ueba/analytics-store.js'
import { UebaAgent, type UebaAttemptContext } from './ueba/gate.js'
import { DiskSpool, MemorySpool } from './ueba/spool.js'
import { DiagnosisAgent } from './workers/diagnosis-agent.js'
import { CustomerEngagementAgent, createChatModelFromEnv } from './workers/engagement-agent.js'
import { RCAAgent } from './workers/rca-agent.js'
import { SchedulingAgent } from './workers/scheduling-agent.js'

export type RunOptions = Partial<
  Pick<
    EpisodeDeps,
    'maxConcurrentRuns' | 'maxConcurrentFollowUps' | 'maxQueuedRuns' | 'flap' | 'ownerLimit' | 'now'
  >
>

/** Every agent, built once, and what runs them. */
export interface AgentSystem {
  agents: AgentDeps
  /** The master graph, compiled once. */
  graph: MasterGraph
  /** On the ingestion hot path: decides when a reading opens or escalates an episode. */
  episodes: EpisodeManager
  /** Everything the agents tell people goes out through it. */
  notifier: Notifier
  /** The one booking service: the graph, the bookings API and the chat book and move bookings through it. */
  bookings: BookingService
  /** The one scheduling agent: free slots for the graph, the API and the chat. */
  scheduling: SchedulingAgent
  /** Service demand per centre and day: the forecast API, and the days scheduling steers away from. */
  forecast: ForecastService
  /** Chat turns, from REST or the WebSocket. */
  conversation: Conversation
  /** Behaviour analytics per entity, fed by the audit stream; its responses guard the agents, users, devices. */
  analytics: BehaviourAnalytics
  /** Loads analytics at start, writes it periodically and at stop. */
  analyticsStore: AnalyticsPersistence
}

export interface AgentSystemDeps {
  config: Config
  repos: Repositories
  bus: EventBus
  log: FastifyBaseLogger
  /** Concurrent and queued agent runs, owner limits, flapping: see `EpisodeDeps`. */
  runs?: RunOptions
  /** Raw telemetry reads, granted to the agents whose policy lists `telemetry_logs`. */
  telemetry?: TelemetryReader
  /** A user was just locked by behaviour analytics: their open sessions should end now. */
  onUserLocked?: (userId: string) => void
  /** Told of every agent run and alert (the metrics). */
  observer?: EpisodeDeps['observer']
}

/**
 * Builds the agents, compiles the master graph and the episode manager. Every UEBA attempt is
 * pushed to manufacturers; blocked ones also go to all staff as a security event.
 */
export function createAgents(deps: AgentSystemDeps): AgentSystem {
  const { config, repos, bus, log, runs, telemetry, observer } = deps
  const bookings = new BookingService({ repos, bus, log, limits: config.booking })
  const forecast = new ForecastService(repos, { overloadCacheMs: config.booking.forecastCacheMs })
  const scheduling = new SchedulingAgent(repos, bookings, { demand: forecast })
  const notifier = new Notifier({ bus, repos })
  const { spoolDir, spoolMaxRows, chainKey } = config.audit
  const ueba = new UebaAgent(
    repos.ueba,
    {
      onLogged: (entry: UebaLogEntry, context: UebaAttemptContext) =>
        notifier.uebaLogged(entry, context.vin ?? null),
    },
    {
      chainKey,
      maxSpoolRows: spoolMaxRows,
      spool: spoolDir ? new DiskSpool<NewUebaLog>(spoolDir) : new MemorySpool<NewUebaLog>(),
      onError: (err, attempt) => log.error({ err, attempt }, 'UEBA log write failed'),
    },
  )
  const analytics = new BehaviourAnalytics({
    halfLifeMs: config.ueba.halfLifeMs,
    enforce: config.ueba.enforce,
    // A response is itself on record (by the system, BLOCKED), which tells staff.
    onResponse: (entity, response) => {
      if (response === 'locked' && entity.kind === 'user') deps.onUserLocked?.(entity.actor_id)
      ueba.record({
        actor: { kind: 'system', id: 'ueba', label: 'ueba' },
        action: 'ueba_response',
        resource: entity.id,
        decision: 'BLOCKED',
        reason: response.toUpperCase(),
        details: { score: entity.score, band: entity.band, reasons: entity.reasons.slice(0, 5) },
      })
    },
  })
  ueba.subscribe((entry) => analytics.observeLog(entry))
  ueba.useGuard(analytics)
  const analyticsStore = new AnalyticsPersistence(analytics, repos.uebaEntities, {
    onError: (err) => log.error({ err }, 'UEBA analytics write failed; will retry'),
  })
  const rca = new RCAAgent(repos.rca)
  const agents: AgentDeps = {
    // A live replay is a time-lapse (a 15-minute reading every few seconds): trends and the
    // remaining life are measured in readings x their window, not in wall-clock time.
    analyzer: new DataAnalysisAgent(loadRules(config.rulesPath), {
      readingIntervalMinutes:
        config.stream.enabled && config.stream.clock === 'live' ? READING_WINDOW_MINUTES : undefined,
    }),
    diagnoser: new DiagnosisAgent(),
    engagement: new CustomerEngagementAgent({
      chatModel: config.openai ? createChatModelFromEnv(config.openai) : undefined,
    }),
    scheduling,
    bookings,
    rca,
    ueba,
    capabilities: new AgentCapabilities(ueba, { repos, bookings, scheduling, rca, telemetry }),
    repos,
  }
  const graph = buildMasterGraph(agents)
  const episodes = new EpisodeManager({
    analyzer: agents.analyzer,
    graph,
    repos,
    notifier,
    log,
    observer,
    ...runs,
  })
  bookings.onAlarmResolved((alarm) => episodes.forget(alarm.vehicle_id, alarm.anomaly_type))
  const chat = new ChatAgent({ repos, scheduling, bookings, engagement: agents.engagement })
  const conversation = new Conversation({ agent: chat, bookings, repos })
  return {
    agents,
    graph,
    episodes,
    notifier,
    bookings,
    scheduling,
    forecast,
    conversation,
    analytics,
    analyticsStore,
  }
}
