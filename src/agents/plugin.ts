import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { UebaLog } from '../db/schema.js'
import { BookingService } from '../services/booking.service.js'
import { DataAnalysisAgent } from './detection/data-agent.js'
import { loadRules } from './detection/rules.js'
import { EpisodeManager } from './episodes/episode-manager.js'
import { Notifier } from './episodes/notifier.js'
import type { AgentDeps } from './graph/nodes.js'
import { buildMasterGraph, type MasterGraph } from './master.js'
import { UebaAgent, type UebaAttemptContext } from './ueba/gate.js'
import { DiagnosisAgent } from './workers/diagnosis-agent.js'
import { CustomerEngagementAgent, createChatModelFromEnv } from './workers/engagement-agent.js'
import { RCAAgent } from './workers/rca-agent.js'
import { SchedulingAgent } from './workers/scheduling-agent.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one booking service: the graph, the bookings API and the chat book and move bookings through it. */
    bookings: BookingService
    /** The one scheduling agent: free slots for the graph, the API and the chat. */
    scheduling: SchedulingAgent
    agents: AgentDeps
    /** The master graph, compiled once. */
    graph: MasterGraph
    episodes: EpisodeManager
  }
}

/**
 * Builds the agents once per app, compiles the master graph once, and puts the episode manager
 * on the ingestion hot path. Every UEBA attempt is pushed to manufacturers; blocked ones also go
 * to service users as a security event.
 */
async function agentsPlugin(app: FastifyInstance) {
  const { config, repos, bus } = app
  const bookings = new BookingService({ repos, bus, log: app.log })
  app.decorate('bookings', bookings)
  app.decorate('scheduling', new SchedulingAgent(repos, bookings))
  const notifier = new Notifier({ bus, repos })
  const ueba = new UebaAgent(
    repos.ueba,
    {
      onLogged: (log: UebaLog, context: UebaAttemptContext) => notifier.uebaLogged(log, context.vin ?? null),
    },
    { onError: (err, attempt) => app.log.error({ err, attempt }, 'UEBA log write failed') },
  )
  const deps: AgentDeps = {
    analyzer: new DataAnalysisAgent(loadRules(config.rulesPath)),
    diagnoser: new DiagnosisAgent(),
    engagement: new CustomerEngagementAgent({
      chatModel: config.openai ? createChatModelFromEnv(config.openai) : undefined,
    }),
    scheduling: app.scheduling,
    bookings,
    rca: new RCAAgent(repos.rca),
    ueba,
    repos,
  }
  const graph = buildMasterGraph(deps)

  const episodes = new EpisodeManager({
    analyzer: deps.analyzer,
    graph,
    repos,
    notifier,
    log: app.log,
  })
  app.decorate('agents', deps)
  app.decorate('graph', graph)
  app.decorate('episodes', episodes)
  app.pipeline.addObserver(episodes)
  app.healthProbes.set('agents', () => episodes.stats)
  app.healthProbes.set('ueba_audit', () => ueba.auditStats)

  app.addHook('onReady', async () => {
    await episodes.loadOpenEpisodes()
  })
  app.addHook('onClose', async () => {
    await episodes.close()
  })
}

export default fp(agentsPlugin, { name: 'agents', dependencies: ['ingest'] })
