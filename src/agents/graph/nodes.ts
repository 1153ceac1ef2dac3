import { Command, END, type LangGraphRunnableConfig } from '@langchain/langgraph'
import type { Repositories } from '../../db/repositories/index.js'
import { maxSeverity, SEVERITY_RANK } from '../../domain.js'
import { SECURITY_MESSAGE } from '../../ingest/messages.js'
import type { AnalysisResult } from '../../schemas/analysis.js'
import type { BookingService } from '../../services/booking.service.js'
import type { DataAnalysisAgent } from '../detection/data-agent.js'
import type { UebaAgent } from '../ueba/gate.js'
import type { DiagnosisAgent } from '../workers/diagnosis-agent.js'
import type { CustomerEngagementAgent } from '../workers/engagement-agent.js'
import type { RCAAgent } from '../workers/rca-agent.js'
import type { SchedulingAgent } from '../workers/scheduling-agent.js'
import { type AgentCapabilities, CapabilityDeniedError } from './capabilities.js'
import { DEFAULT_ROUTERS, type NodeName, type Router } from './routers.js'
import { proposeService } from './scheduling-node.js'
import type { VehicleState, VehicleStateUpdate } from './state.js'

export interface AgentDeps {
  analyzer: DataAnalysisAgent
  diagnoser: DiagnosisAgent
  engagement: CustomerEngagementAgent
  scheduling: SchedulingAgent
  bookings: BookingService
  rca: RCAAgent
  ueba: UebaAgent
  /** Each node's data access: only what its policy grants, checked and logged. */
  capabilities: AgentCapabilities
  repos: Repositories
  /** Replaces routing decisions; used to prove that the gate stops a forced illegal transition. */
  routers?: Partial<Record<NodeName, Router>>
  now?: () => Date
}

export type GraphNode = (state: VehicleState, config?: LangGraphRunnableConfig) => Promise<Command>

/**
 * Ends a node: the (pure) router picks the next node, the UEBA gate checks and logs the
 * transition, and a blocked one ends the run with `error` set. A run that ends first waits for
 * its audit trail to be stored (the gate's group commit), so a finished run is an audited run.
 */
async function transition(
  deps: AgentDeps,
  source: NodeName,
  state: VehicleState,
  update: VehicleStateUpdate,
) {
  const router = deps.routers?.[source] ?? DEFAULT_ROUTERS[source]
  const target = router({ ...state, ...update } as VehicleState)
  const verdict = await deps.ueba.gate(source, target, runContext(state))
  if (!verdict.allowed) {
    return finish(deps, {
      ...update,
      error: `${SECURITY_MESSAGE}: ${source} -> ${target === END ? 'END' : target}`,
    })
  }
  if (target === END) return finish(deps, update)
  return new Command({ update, goto: target })
}

function runContext(state: VehicleState) {
  return { vehicleId: state.vehicle_id || null, runId: state.run_id || null, vin: state.vin || null }
}

/**
 * A node as the graph runs it: refused outright while its agent is quarantined, and ended with
 * `error` (not a crash) when it tries an operation outside its capability handle.
 */
function guarded(deps: AgentDeps, name: NodeName, node: GraphNode): GraphNode {
  return async (state, config) => {
    if (!(await deps.ueba.admit(name, runContext(state))))
      return finish(deps, { error: `${SECURITY_MESSAGE}: ${name} is quarantined` })
    try {
      return await node(state, config)
    } catch (err) {
      if (!(err instanceof CapabilityDeniedError)) throw err
      return finish(deps, { error: `${SECURITY_MESSAGE}: ${err.agent} -> ${err.resource}` })
    }
  }
}

async function finish(deps: AgentDeps, update: VehicleStateUpdate): Promise<Command> {
  await deps.ueba.flush()
  return new Command({ update, goto: END })
}

/**
 * Waits for the run's follow-up turn when whoever started the run rations them (the episode
 * manager passes `configurable.followUp`); a run started without one goes straight on.
 */
async function followUpTurn(config: LangGraphRunnableConfig | undefined): Promise<void> {
  const followUp: unknown = config?.configurable?.followUp
  if (typeof followUp === 'function') await followUp()
}

/** The hot path's analysis, or a fresh one over the state's history (standalone runs, tests). */
function analysisOf(deps: AgentDeps, state: VehicleState): AnalysisResult | null {
  if (state.analysis) return state.analysis
  if (!state.current_data) return null
  const history = deps.analyzer.createHistory()
  for (const reading of state.history) deps.analyzer.analyze(reading, history)
  return deps.analyzer.analyze(state.current_data, history)
}

export function createNodes(deps: AgentDeps): Record<NodeName, GraphNode> {
  const nodes = plainNodes(deps)
  const names = Object.keys(nodes) as NodeName[]
  return Object.fromEntries(names.map((n) => [n, guarded(deps, n, nodes[n])])) as Record<NodeName, GraphNode>
}

function plainNodes(deps: AgentDeps): Record<NodeName, GraphNode> {
  const now = deps.now ?? (() => new Date())
  const can = <A extends NodeName>(agent: A, state: VehicleState) =>
    deps.capabilities.for(agent, runContext(state))
  return {
    async data_analysis(state) {
      const a = analysisOf(deps, state)
      const top = a?.anomalies[0]
      const update: VehicleStateUpdate = {
        anomaly_detected: a?.anomaly_detected ?? false,
        anomaly_reason: a?.anomaly_reason ?? null,
        anomaly_type: a?.anomaly_type ?? null,
        signals: a?.signals ?? [],
        severity: top?.severity ?? 'Low',
        rul: a?.rul ?? state.rul,
      }
      return transition(deps, 'data_analysis', state, update)
    },

    async diagnosis(state) {
      const data = can('diagnosis', state)
      const d = deps.diagnoser.diagnose(
        {
          type: state.anomaly_type,
          reason: state.anomaly_reason,
          signals: state.signals,
          severity: state.severity,
        },
        state.current_data ?? undefined,
      )
      const severity = maxSeverity(state.severity, d.severity)
      let eventId = state.anomaly_event_id
      if (!eventId) {
        const event = await data.createAnomaly(
          state.vehicle_id,
          state.anomaly_type ?? 'unclassified',
          severity,
          state.current_data ?? {},
          {
            detectedAt: state.current_data?.timestamp,
            reason: state.anomaly_reason,
            signals: state.signals,
            rul: state.rul,
          },
        )
        eventId = event.id
      } else if (SEVERITY_RANK[severity] > SEVERITY_RANK[state.severity]) {
        await data.raiseSeverity(eventId, severity)
      }
      await data.createDiagnosis(eventId, d.diagnosis_text, d.confidence, {
        severity,
        component: d.component,
        recommendedAction: d.recommended_action,
      })
      return transition(deps, 'diagnosis', state, {
        anomaly_event_id: eventId,
        diagnosis_text: d.diagnosis_text,
        diagnosis_detail: d,
        component: d.component,
        recommended_action: d.recommended_action,
        confidence: d.confidence,
        severity,
        messages: [{ role: 'system', node: 'diagnosis', content: `${d.diagnosis_text} (${severity})` }],
      })
    },

    async customer_engagement(state, config) {
      // The alert is out once diagnosis ended; the follow-ups take their turn behind other alerts.
      await followUpTurn(config)
      if (!state.notify_owner) return transition(deps, 'customer_engagement', state, {})
      const content = await deps.engagement.phraseMessage(
        state.diagnosis_detail ?? state.diagnosis_text ?? '',
        state.severity,
        {
          vin: state.vin,
          model: state.model ?? undefined,
          rul: state.rul,
          repeat: state.repeat_of !== null,
        },
      )
      const message = await can('customer_engagement', state).addMessage({
        vehicleId: state.vehicle_id,
        sender: 'agent',
        content,
        intent: 'alert',
        anomalyEventId: state.anomaly_event_id,
        // A repeated run of the episode (after a restart) finds the message it wrote before.
        dedupeKey: state.anomaly_event_id ? `alert:${state.anomaly_event_id}:${state.severity}` : null,
      })
      return transition(deps, 'customer_engagement', state, {
        chat_message_id: message.id,
        messages: [{ role: 'agent', node: 'customer_engagement', content }],
      })
    },

    async scheduling(state) {
      const update = await proposeService(can('scheduling', state), state, now())
      return transition(deps, 'scheduling', state, update)
    },

    async rca(state) {
      const result = await can('rca', state).analyzeFailure({
        anomalyType: state.anomaly_type ?? 'unclassified',
      })
      return transition(deps, 'rca', state, {
        insight_id: result.insight?.id ?? null,
        messages: result.insight
          ? [{ role: 'system', node: 'rca', content: `${result.insight.failure_pattern} in ${result.batch}` }]
          : [],
      })
    },
  }
}
