import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { Repositories } from '../db/repositories/index.js'
import type { UebaLog } from '../db/schema.js'
import type { EventBus } from '../ingest/event-bus.js'
import { BookingService } from '../services/booking.service.js'
import { ChatAgent } from './chat/chat-agent.js'
import { Conversation } from './chat/conversation.js'
import { DataAnalysisAgent } from './detection/data-agent.js'
import { loadRules } from './detection/rules.js'
import { type EpisodeDeps, EpisodeManager } from './episodes/episode-manager.js'
import { Notifier } from './episodes/notifier.js'
import type { AgentDeps } from './graph/nodes.js'
import { buildMasterGraph, type MasterGraph } from './master.js'
import { UebaAgent, type UebaAttemptContext } from './ueba/gate.js'
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
  /** Chat turns, from REST or the WebSocket. */
  conversation: Conversation
}

export interface AgentSystemDeps {
  config: Config
  repos: Repositories
  bus: EventBus
  log: FastifyBaseLogger
  /** Concurrent and queued agent runs, owner limits, flapping: see `EpisodeDeps`. */
  runs?: RunOptions
}

/**
 * Builds the agents, compiles the master graph and the episode manager. Every UEBA attempt is
 * pushed to manufacturers; blocked ones also go to all staff as a security event.
 */
export function createAgents({ config, repos, bus, log, runs }: AgentSystemDeps): AgentSystem {
  const bookings = new BookingService({ repos, bus, log })
  const scheduling = new SchedulingAgent(repos, bookings)
  const notifier = new Notifier({ bus, repos })
  const ueba = new UebaAgent(
    repos.ueba,
    {
      onLogged: (entry: UebaLog, context: UebaAttemptContext) =>
        notifier.uebaLogged(entry, context.vin ?? null),
    },
    { onError: (err, attempt) => log.error({ err, attempt }, 'UEBA log write failed') },
  )
  const agents: AgentDeps = {
    analyzer: new DataAnalysisAgent(loadRules(config.rulesPath)),
    diagnoser: new DiagnosisAgent(),
    engagement: new CustomerEngagementAgent({
      chatModel: config.openai ? createChatModelFromEnv(config.openai) : undefined,
    }),
    scheduling,
    bookings,
    rca: new RCAAgent(repos.rca),
    ueba,
    repos,
  }
  const graph = buildMasterGraph(agents)
  const episodes = new EpisodeManager({ analyzer: agents.analyzer, graph, repos, notifier, log, ...runs })
  const chat = new ChatAgent({ repos, scheduling, bookings, engagement: agents.engagement })
  const conversation = new Conversation({ agent: chat, bookings, repos })
  return { agents, graph, episodes, notifier, bookings, scheduling, conversation }
}
