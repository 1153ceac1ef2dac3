import { Annotation } from '@langchain/langgraph'
import type { Severity } from '../../domain.js'
import type { AnalysisResult, Diagnosis, Signal } from '../../schemas/analysis.js'
import type { Slot } from '../../schemas/bookings.js'
import type { RulEstimate } from '../../schemas/rul.js'
import type { TelemetryReading } from '../../schemas/telemetry.js'

/** A message the graph produced for a person, in the order produced. */
export interface GraphMessage {
  role: 'agent' | 'system'
  /** Which node wrote it. */
  node: string
  content: string
}

/** A free service slot offered to the owner (its bay count is not part of the offer). */
export type OfferedSlot = Omit<Slot, 'free_bays'>

/** Last value wins: the default for every field that is not a list. */
function replace<T>(fallback: () => T) {
  return Annotation<T>({ reducer: (_prev, next) => next, default: fallback })
}

/**
 * The spec's `VehicleState`, as a LangGraph state schema, plus what the workers pass on to
 * each other. One graph run handles one anomaly episode of one vehicle.
 */
export const VehicleStateAnnotation = Annotation.Root({
  /** Database id of the vehicle (uuid). */
  vehicle_id: replace<string>(() => ''),
  /** The vehicle's VIN, for messages and logs. */
  vin: replace<string>(() => ''),
  /** The vehicle's owner (user id): who is told about the episode. */
  owner_id: replace<string | null>(() => null),
  /** Manufacturing batch, for root-cause analysis. */
  batch: replace<string | null>(() => null),
  /** Model name, for friendlier messages. */
  model: replace<string | null>(() => null),
  /** The reading that opened or escalated the episode. */
  current_data: replace<TelemetryReading | null>(() => null),
  /** Recent readings of the vehicle, oldest first (bounded by the caller). */
  history: replace<TelemetryReading[]>(() => []),
  /**
   * The hot path's analysis of `current_data`, when it already ran (the graph then reuses it
   * instead of folding the reading into the vehicle's baselines twice).
   */
  analysis: replace<AnalysisResult | null>(() => null),
  /** Whether `current_data` is anomalous. */
  anomaly_detected: replace<boolean>(() => false),
  /** Human reason of the most severe active anomaly, e.g. "High Battery Temp: battery_temperature 52.1 > 45". */
  anomaly_reason: replace<string | null>(() => null),
  /** Rule id of that anomaly, e.g. `battery_thermal`. */
  anomaly_type: replace<string | null>(() => null),
  /** The signals the anomaly rests on (signal, value, threshold or baseline, score). */
  signals: replace<Signal[]>(() => []),
  /**
   * The spec's `diagnosis`: the diagnosis text, e.g. "Battery thermal management failure".
   * Renamed because LangGraph forbids a state key with the same name as a node (`diagnosis`).
   */
  diagnosis_text: replace<string | null>(() => null),
  /** The whole diagnosis (root cause, pattern, confidence), for the agents after it. */
  diagnosis_detail: replace<Diagnosis | null>(() => null),
  /** Component the diagnosis blames (battery, motor, tires, brakes). */
  component: replace<string | null>(() => null),
  /** What the owner or technician should do. */
  recommended_action: replace<string | null>(() => null),
  /** Confidence of the diagnosis, 0..1. */
  confidence: replace<number | null>(() => null),
  /** Low | Medium | High | Critical, as diagnosed (never below the detected severity). */
  severity: replace<Severity>(() => 'Low'),
  /** The episode's remaining-useful-life estimate (from its alarm row); null when none was made. */
  rul: replace<RulEstimate | null>(() => null),
  /** Messages for people, appended by each node. */
  messages: Annotation<GraphMessage[]>({ reducer: (prev, next) => prev.concat(next), default: () => [] }),
  /** The `anomaly_events` row of this episode. */
  anomaly_event_id: replace<string | null>(() => null),
  /** Why the graph runs: a new episode, or an escalation of an open one. */
  trigger: replace<'opened' | 'escalated' | 'manual'>(() => 'manual'),
  /** The chat message written by the engagement agent. */
  chat_message_id: replace<string | null>(() => null),
  /** Free slots the scheduling agent offered. */
  offered_slots: replace<OfferedSlot[]>(() => []),
  /** The proposed (PENDING) booking, if any. */
  booking_id: replace<string | null>(() => null),
  /** Whether this run proposed `booking_id` (an earlier proposal is never sent again). */
  booking_proposed: replace<boolean>(() => false),
  /**
   * False when the owner is not to be told of this run (past their notification limit, see
   * `OwnerBudget`): the diagnosis is stored for staff, no message or booking goes to the owner.
   */
  notify_owner: replace<boolean>(() => true),
  /** The severity at which the owner declined this episode's proposal (from its alarm row), if they did. */
  owner_declined_severity: replace<Severity | null>(() => null),
  /** The earlier, serviced episode of the same vehicle and type this one repeats (its alarm row's `repeat_of`). */
  repeat_of: replace<string | null>(() => null),
  /** The manufacturing insight RCA wrote or updated, if any. */
  insight_id: replace<string | null>(() => null),
  /** Correlates the run's UEBA log rows. */
  run_id: replace<string>(() => ''),
  /** Set when the run ended abnormally, e.g. a transition blocked by UEBA. */
  error: replace<string | null>(() => null),
})

export type VehicleState = typeof VehicleStateAnnotation.State
export type VehicleStateUpdate = typeof VehicleStateAnnotation.Update
