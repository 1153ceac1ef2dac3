import { randomUUID } from 'node:crypto'
import type { Severity } from '../../domain.js'
import type { VehicleLiveState } from '../../ingest/pipeline.js'
import type { AnalysisResult } from '../../schemas/analysis.js'
import type { TelemetryReading } from '../../schemas/telemetry.js'
import type { VehicleState } from '../graph/state.js'
import type { MasterGraph } from '../master.js'
import type { RunTurn } from './run-slots.js'

export interface GraphRun {
  vehicle: VehicleLiveState['vehicle']
  eventId: string
  reading: TelemetryReading
  /** The hot path's analysis goes in, so the graph needs no history of readings to redo it. */
  analysis: AnalysisResult
  trigger: 'opened' | 'escalated'
  turn: RunTurn
  /** False: staff are alerted and the diagnosis stored, the owner is not told (see `OwnerBudget`). */
  notifyOwner?: boolean
  /** From the alarm row: the severity the owner declined its proposal at, and the episode it repeats. */
  declinedSeverity?: Severity | null
  repeatOf?: string | null
}

export interface GraphRunHooks {
  /** The diagnosis is stored (the first state with one). */
  onDiagnosed(state: VehicleState): Promise<void> | void
}

/**
 * Streams one run of the master graph for an episode and returns its final state. The
 * diagnosis is reported as soon as it is stored, not after scheduling and RCA: that is what the
 * dashboards' "analysing" badge waits for.
 */
export async function runEpisodeGraph(
  graph: MasterGraph,
  run: GraphRun,
  hooks: GraphRunHooks,
): Promise<VehicleState | undefined> {
  const { vehicle } = run
  const steps = await graph.stream(
    {
      vehicle_id: vehicle.id,
      vin: vehicle.vin,
      owner_id: vehicle.ownerId,
      batch: vehicle.batch,
      model: vehicle.model,
      current_data: run.reading,
      analysis: run.analysis,
      anomaly_event_id: run.eventId,
      trigger: run.trigger,
      notify_owner: run.notifyOwner ?? true,
      owner_declined_severity: run.declinedSeverity ?? null,
      repeat_of: run.repeatOf ?? null,
      run_id: randomUUID(),
    },
    // The graph's first follow-up node calls `followUp` (see `followUpTurn` in graph/nodes.ts).
    { streamMode: 'values', configurable: { followUp: run.turn.followUp } },
  )
  let final: VehicleState | undefined
  let diagnosed = false
  for await (const step of steps) {
    final = step as VehicleState
    if (!diagnosed && final.diagnosis_text && final.anomaly_event_id) {
      diagnosed = true
      // Awaited: the alert is out before the run's chat message and booking are.
      await hooks.onDiagnosed(final)
    }
  }
  return final
}
