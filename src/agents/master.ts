import { END, START, StateGraph } from '@langchain/langgraph'
import { type AgentDeps, createNodes } from './graph/nodes.js'
import { VehicleStateAnnotation } from './graph/state.js'
import { ALLOWED_TRANSITIONS } from './ueba/gate.js'

/**
 * The master agent only wires the graph. Each node ends by asking its router and the UEBA gate
 * where to go (a LangGraph `Command`), so the edges a node may take are exactly the ones the
 * UEBA table allows: the graph's shape is derived from the security policy, not copied from it.
 */
export function buildMasterGraph(deps: AgentDeps) {
  const nodes = createNodes(deps)
  const ends = (node: keyof typeof nodes) => [...(ALLOWED_TRANSITIONS[node] ?? [END])]
  return new StateGraph(VehicleStateAnnotation)
    .addNode('data_analysis', nodes.data_analysis, { ends: ends('data_analysis') })
    .addNode('diagnosis', nodes.diagnosis, { ends: ends('diagnosis') })
    .addNode('customer_engagement', nodes.customer_engagement, { ends: ends('customer_engagement') })
    .addNode('scheduling', nodes.scheduling, { ends: ends('scheduling') })
    .addNode('rca', nodes.rca, { ends: ends('rca') })
    .addEdge(START, 'data_analysis')
    .compile({ name: 'autonoma-master' })
}

export type MasterGraph = ReturnType<typeof buildMasterGraph>
