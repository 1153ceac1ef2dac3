import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { UebaLog } from '../db/schema.js'
import { STAFF } from '../ingest/event-bus.js'
import { uebaLogDto } from '../schemas/ueba.js'
import { BookingService } from '../services/booking.service.js'
import { DataAnalysisAgent } from './detection/data-agent.js'
import { loadRules } from './detection/rules.js'
import { EpisodeManager } from './episodes/episode-manager.js'
import type { AgentDeps } from './graph/nodes.js'
import type { VehicleState } from './graph/state.js'
import { buildMasterGraph, type MasterGraph } from './master.js'
import { securityMessage, UebaAgent, type UebaAttemptContext } from './ueba/gate.js'
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
  const ueba = new UebaAgent(
    repos.ueba,
    {
      onLogged(log: UebaLog, context: UebaAttemptContext) {
        const vin = context.vin ?? null
        const dto = uebaLogDto(log, vin)
        bus.publish({ type: 'ueba', data: dto, vin, ownerId: null, roles: ['manufacturer'] })
        if (log.status === 'BLOCKED') {
          bus.publish({
            type: 'security',
            data: {
              message: securityMessage(log.action_type),
              source: log.source_node,
              target: log.target_node,
              vin,
              agent: log.agent_name,
              action: log.action_type,
              timestamp: dto.timestamp,
            },
            vin,
            ownerId: null,
            roles: STAFF,
          })
        }
      },
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
    rca: new RCAAgent(app.dbHandle.db),
    ueba,
    repos,
  }
  const graph = buildMasterGraph(deps)

  function alert(state: VehicleState, vehicle: { vin: string; ownerId: string }) {
    bus.publish({
      type: 'alert',
      data: {
        vin: vehicle.vin,
        anomaly_event_id: state.anomaly_event_id,
        anomaly_type: state.anomaly_type,
        reason: state.anomaly_reason,
        severity: state.severity,
        diagnosis: state.diagnosis_text,
        recommended_action: state.recommended_action,
        rul: state.rul,
        signals: state.signals,
        trigger: state.trigger,
      },
      vin: vehicle.vin,
      ownerId: vehicle.ownerId,
      roles: STAFF,
    })
  }

  async function announce(final: VehicleState, vehicle: { vin: string; ownerId: string }) {
    const recipient = { vin: vehicle.vin, owner_id: vehicle.ownerId }
    if (final.chat_message_id) {
      const message = await repos.chat.getMessage(final.chat_message_id)
      if (message) bookings.announce(recipient, { messages: [message] })
    }
    if (final.booking_id) {
      const booking = await repos.bookings.findVisible(undefined, final.booking_id)
      if (booking) bookings.announce(recipient, { bookings: [booking] })
    }
  }

  const episodes = new EpisodeManager({
    analyzer: deps.analyzer,
    graph,
    repos,
    bus,
    log: app.log,
    notify: { alert, announce },
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
