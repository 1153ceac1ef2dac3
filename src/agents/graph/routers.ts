import { END } from '@langchain/langgraph'
import type { VehicleState } from './state.js'

/**
 * Pure routing decisions: given the state after a node, where the run should go next. The
 * UEBA gate (ueba.ts) checks every decision before the graph follows it.
 */
export type NodeName = 'data_analysis' | 'diagnosis' | 'customer_engagement' | 'scheduling' | 'rca'
export type Target = NodeName | typeof END
export type Router = (state: VehicleState) => string

export function routeAfterAnalysis(state: VehicleState): 'diagnosis' | typeof END {
  return state.anomaly_detected ? 'diagnosis' : END
}

export function routeAfterDiagnosis(_state: VehicleState): 'customer_engagement' {
  return 'customer_engagement'
}

/**
 * A service visit is proposed only when it is urgent enough to be worth the owner's time, and
 * only to an owner who is being told of the run.
 */
export function routeAfterEngagement(state: VehicleState): 'scheduling' | typeof END {
  if (state.notify_owner === false) return END
  return state.severity === 'High' || state.severity === 'Critical' ? 'scheduling' : END
}

export function routeAfterScheduling(_state: VehicleState): 'rca' {
  return 'rca'
}

export function routeAfterRca(_state: VehicleState): typeof END {
  return END
}

export const DEFAULT_ROUTERS: Readonly<Record<NodeName, Router>> = {
  data_analysis: routeAfterAnalysis,
  diagnosis: routeAfterDiagnosis,
  customer_engagement: routeAfterEngagement,
  scheduling: routeAfterScheduling,
  rca: routeAfterRca,
}
