import { z } from 'zod'
import { SeveritySchema } from '../domain.js'
import { RulEstimateSchema } from './rul.js'

/** The anomaly types of the default rules table. A rules file may add more (snake_case ids). */
export const BUILTIN_ANOMALY_TYPES = [
  'battery_thermal',
  'motor_bearing',
  'motor_overheat',
  'tire_pressure',
  'brake_wear',
  'battery_degradation',
] as const
export type BuiltinAnomalyType = (typeof BUILTIN_ANOMALY_TYPES)[number]

// `string & {}` keeps editor completion for the built-in ids while allowing types added by a rules file.
export type AnomalyType = BuiltinAnomalyType | (string & {})
export const ANOMALY_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/
export const AnomalyTypeSchema = z.string().regex(ANOMALY_TYPE_PATTERN, 'must be a snake_case id')

const finite = z.number().finite()

/** One piece of evidence behind an anomaly. */
export const SignalSchema = z.object({
  /** Canonical telemetry field name, e.g. `battery_temperature`. */
  signal: z.string().min(1),
  value: finite,
  /** The rule threshold the value is compared with (threshold evidence, and drift on the rule's signal). */
  threshold: finite.optional(),
  /** The vehicle's own learned baseline for this signal, when warm. */
  baseline: finite.optional(),
  /** z-score against the baseline (drift evidence). */
  z: finite.optional(),
  /** 0..1, how strongly this signal supports the anomaly. */
  score: z.number().min(0).max(1),
  kind: z.enum(['threshold', 'drift']),
})
export type Signal = z.infer<typeof SignalSchema>

export const AnomalySchema = z.object({
  type: AnomalyTypeSchema,
  label: z.string().min(1),
  component: z.string().min(1),
  severity: SeveritySchema,
  reason: z.string().min(1),
  /** Non-empty: every anomaly names the signals it rests on. */
  signals: z.array(SignalSchema).min(1),
  /** 0..1 */
  score: z.number().min(0).max(1),
})
export type Anomaly = z.infer<typeof AnomalySchema>

export const AnalysisResultSchema = z.object({
  /** True while any anomaly type is active (including ones held by hysteresis). */
  anomaly_detected: z.boolean(),
  /** Every active anomaly type, most severe first. */
  anomalies: z.array(AnomalySchema),
  /** Flat fields of the most severe active anomaly (the spec's VehicleState fields); null when none. */
  anomaly_type: AnomalyTypeSchema.nullable(),
  anomaly_reason: z.string().nullable(),
  severity: SeveritySchema.nullable(),
  /** Signals of the most severe active anomaly. */
  signals: z.array(SignalSchema),
  /** 0..1 overall. */
  anomaly_score: z.number().min(0).max(1),
  /**
   * The episode's remaining useful life: null from the per-reading analysis (it fits no trend); the
   * episode manager fills in the estimate it stored on the episode before the agents run.
   */
  rul: RulEstimateSchema.nullable(),
  /** Types that became active on THIS reading (the moment to diagnose and notify). */
  raised: z.array(AnomalyTypeSchema),
  /** Already-active types whose severity rose above anything reported since they became active. */
  escalated: z.array(AnomalyTypeSchema),
  /** Types whose hysteresis clear condition was satisfied on THIS reading; they are no longer active. */
  cleared: z.array(AnomalyTypeSchema),
})
export type AnalysisResult = z.infer<typeof AnalysisResultSchema>

export const DiagnosisSchema = z.object({
  /** Short, e.g. "Battery thermal management failure". */
  diagnosis_text: z.string().min(1),
  severity: SeveritySchema,
  /** 0..1 */
  confidence: z.number().min(0).max(1),
  component: z.string().min(1),
  recommended_action: z.string().min(1),
  root_cause: z.string().min(1),
  /** Knowledge-table key the diagnosis came from (`thermal_runaway`, `battery_thermal`, `unclassified` ...). */
  pattern: z.string().min(1),
})
export type Diagnosis = z.infer<typeof DiagnosisSchema>
