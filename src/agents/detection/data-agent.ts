import { SEVERITY_RANK } from '../../domain.js'
import type { AnalysisResult, Anomaly, AnomalyType } from '../../schemas/analysis.js'
import type { TelemetryReading } from '../../schemas/telemetry.js'
import { describeAnomaly, emptyResult } from './analysis-result.js'
import { driftProgress, measured, unexplained, usable } from './drift-evaluation.js'
import { episodeRul } from './episode-rul.js'
import { isoToEpochDays } from './epoch-days.js'
import { DEFAULT_RUL_FIT, type RulEstimate, type RulFitOptions, UNKNOWN_RUL } from './rul.js'
import { DEFAULT_RULES, type Rule, validateRules } from './rules.js'
import type { RuleState, SignalBaseline } from './vehicle-baseline.js'
import {
  type CompiledRule,
  compileLayout,
  type DataAnalysisOptions,
  type DriftWatch,
  type Layout,
  VehicleHistory,
} from './vehicle-history.js'

export type { DataAnalysisOptions } from './vehicle-history.js'
export { VehicleHistory } from './vehicle-history.js'

/**
 * The per-reading data analysis agent: threshold rules, per-vehicle drift detection with
 * hysteresis; and, when an episode opens or escalates, its remaining useful life (`estimateRul`). Pure (no I/O) and cheap enough to run on every reading.
 *
 * Usage: keep one `VehicleHistory` per vehicle (`agent.createHistory()`) and call
 * `agent.analyze(reading, history)` for each reading in order. `analyze` BOTH evaluates the reading
 * AND folds it into `history` (baselines, hysteresis counters); there is no separate push,
 * so never call `analyze` twice for the same reading. A history is bounded (about 6 KB) and a history
 * whose VIN differs from the reading's is reset rather than mixed across vehicles.
 *
 * Per rule and reading: beyond the threshold -> High, beyond the critical level -> Critical; a
 * sustained drift from the vehicle's own baseline toward the threshold -> Low, Medium once 60% of the
 * way (see `vehicle-baseline.ts`). A drift watch with `explained_by` looks instead at what the
 * vehicle's load and surroundings do not explain (heat without a current to cause it), so that a long
 * drive or a fast charge is not taken for drift. A rule or watch with `measured_when` ignores readings
 * in which its signal means nothing (vibration of a motor that does not turn).
 *
 * Hysteresis: an active type stays in `anomalies` (never below Low) until its signal has been on the
 * safe side of the clear level, with no drift left, for `clearAfter` consecutive readings that measure
 * it (a parked reading neither clears a bearing alarm nor resets the count); it is then listed once
 * in `cleared`. `raised` and `escalated` mark the
 * readings worth a diagnosis and a customer message, so callers need not diff results themselves.
 */
export class DataAnalysisAgent {
  readonly rules: readonly Rule[]
  /** Internal errors swallowed by `analyze` (expected to stay 0; exposed for monitoring and tests). */
  internalErrors = 0
  private readonly layout: Layout

  constructor(rules: readonly Rule[] = DEFAULT_RULES, options: DataAnalysisOptions = {}) {
    this.rules = validateRules(rules, 'DataAnalysisAgent rules')
    this.layout = compileLayout(this.rules, options)
  }

  /**
   * The remaining useful life of an episode of `type`, fitted on the vehicle's `recent` readings
   * (oldest first, e.g. the live state's ring). Called when an episode opens or escalates, not per
   * reading: it costs a trend fit (see `rul.ts`).
   */
  estimateRul(
    type: AnomalyType,
    recent: readonly TelemetryReading[],
    fit: RulFitOptions = DEFAULT_RUL_FIT,
  ): RulEstimate {
    const cr = this.layout.rules.find((r) => r.rule.type === type)
    return cr ? episodeRul(cr, recent, fit) : UNKNOWN_RUL
  }

  /** A fresh per-vehicle state for this agent's rules. The caller owns it (one per vehicle). */
  createHistory(): VehicleHistory {
    return new VehicleHistory(this.layout)
  }

  /**
   * Analyses one reading against the vehicle's history and folds the reading into the history.
   * Never throws: unusable fields (missing, NaN, infinite, outside the rule's valid range) are
   * ignored for this reading and never reach the baselines.
   */
  analyze(reading: TelemetryReading, history: VehicleHistory): AnalysisResult {
    const h = history instanceof VehicleHistory ? history : this.createHistory()
    try {
      return this.run((reading ?? {}) as unknown as Record<string, unknown>, h)
    } catch {
      // Defensive only: the analysis has no known throwing path, but a reading must never take the pipeline down.
      this.internalErrors++
      return emptyResult()
    }
  }

  private run(reading: Record<string, unknown>, h: VehicleHistory): AnalysisResult {
    const layout = this.layout
    h.prepare(layout, typeof reading.vin === 'string' ? reading.vin : undefined)
    h.advanceTime(typeof reading.timestamp === 'string' ? isoToEpochDays(reading.timestamp) : Number.NaN)

    const anomalies: Anomaly[] = []
    const raised: AnomalyType[] = []
    const escalated: AnomalyType[] = []
    const cleared: AnomalyType[] = []
    for (let i = 0; i < layout.rules.length; i++) {
      const cr = layout.rules[i]!
      const state = h.states[i]!
      const anomaly = this.evaluate(cr, state, reading, h)
      if (anomaly === 'cleared') cleared.push(cr.rule.type)
      else if (anomaly !== 'inactive') {
        anomalies.push(anomaly)
        if (state.justRaised) raised.push(cr.rule.type)
        else if (state.justEscalated) escalated.push(cr.rule.type)
      }
    }

    if (anomalies.length > 1) {
      anomalies.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.score - a.score)
    }
    const top = anomalies[0]
    return {
      anomaly_detected: top !== undefined,
      anomalies,
      anomaly_type: top ? top.type : null,
      anomaly_reason: top ? top.reason : null,
      severity: top ? top.severity : null,
      signals: top ? top.signals : [],
      anomaly_score: top ? top.score : 0,
      rul: null,
      raised,
      escalated,
      cleared,
    }
  }

  /** One rule on one reading: updates its drift baselines and hysteresis state; returns the active anomaly. */
  private evaluate(
    cr: CompiledRule,
    state: RuleState,
    reading: Record<string, unknown>,
    h: VehicleHistory,
  ): Anomaly | 'cleared' | 'inactive' {
    const { rule, sign } = cr
    const v = measured(reading, cr.gate) ? usable(reading, rule.signal, cr.min, cr.max) : Number.NaN
    const hasValue = !Number.isNaN(v)
    let level = -1 // -1 none, 0 Low, 1 Medium, 2 High, 3 Critical
    if (hasValue) {
      state.lastValue = v
      if (sign * (v - rule.threshold) > 0) level = sign * (v - rule.critical) > 0 ? 3 : 2
    }
    let driftLevel = -1
    let calm = true
    for (const w of cr.watches) {
      const baseline = h.baselines[w.slot]!
      let x = !measured(reading, w.gate) ? Number.NaN : w.main ? v : usable(reading, w.signal, w.min, w.max)
      const model = h.models[w.slot]
      if (model !== undefined)
        x = unexplained(model, w, baseline, reading, x, level >= 2, this.layout.drift.clearZ)
      if (Number.isNaN(x)) {
        baseline.skip()
        continue
      }
      const inDrift = baseline.observe(x, level >= 2 && w.signal === rule.signal)
      if (!baseline.calm) calm = false
      if (inDrift) driftLevel = Math.max(driftLevel, this.driftRank(cr, w, baseline, x))
    }
    const evidence = Math.max(level, driftLevel)
    const safe = hasValue && sign * (v - rule.clear) < 0 && calm
    const outcome = state.step(evidence, hasValue, safe, this.layout.clearAfter)
    if (outcome === 'inactive' || outcome === 'cleared') return outcome
    // Held without fresh evidence: Low once the value is back, unchanged while the signal is missing.
    state.lastRank = evidence >= 0 ? evidence : hasValue ? 0 : state.lastRank
    return describeAnomaly(this.layout, cr, state, h, v, level, state.lastRank)
  }

  private driftRank(cr: CompiledRule, w: DriftWatch, b: SignalBaseline, x: number): number {
    if (!w.main)
      return b.lastZ >= 2 * this.layout.drift.raiseZ && b.lastDeviation >= 2 * w.minDeviation ? 1 : 0
    return driftProgress(cr, b, x) >= 0.6 ? 1 : 0
  }
}
