import {
  type AnalysisResult,
  type Anomaly,
  type AnomalyType,
  SEVERITIES,
  SEVERITY_RANK,
  type Severity,
  type Signal,
} from '../schemas/analysis.js'
import type { TelemetryReading } from '../schemas/telemetry.js'
import { isoToEpochDays, urgentRul } from './rul.js'
import { DEFAULT_RULES, type Rule, validateRules } from './rules.js'
import type { LagModel, RuleState, SignalBaseline } from './vehicle-baseline.js'
import {
  type CompiledRule,
  compileLayout,
  type DataAnalysisOptions,
  type DriftWatch,
  type Gate,
  type Layout,
  VehicleHistory,
} from './vehicle-history.js'

export type { DataAnalysisOptions } from './vehicle-history.js'
export { VehicleHistory } from './vehicle-history.js'

const HELD_SCORE = [0.1, 0.3, 0.6, 0.9]

/** Reads a usable numeric field, NaN when missing, non-numeric, non-finite or outside [min, max]. */
function usable(reading: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = reading[field]
  return typeof v === 'number' && v >= min && v <= max ? v : Number.NaN
}

/** Whether the reading meets a `measured_when` condition; a reading without the context value does. */
function measured(reading: Record<string, unknown>, gate: Gate | undefined): boolean {
  if (gate === undefined) return true
  const c = reading[gate.signal]
  if (typeof c !== 'number' || !Number.isFinite(c)) return true
  return c >= gate.min && c <= gate.max
}

function fmt(x: number): string {
  return String(Math.round(x * 1000) / 1000)
}

function clamp01(x: number): number {
  return x > 0 ? Math.min(1, x) : 0
}

/**
 * The per-reading data analysis agent: threshold rules, per-vehicle drift detection with
 * hysteresis, and the remaining useful life. Pure (no I/O) and cheap enough to run on every reading.
 *
 * Usage: keep one `VehicleHistory` per vehicle (`agent.createHistory()`) and call
 * `agent.analyze(reading, history)` for each reading in order. `analyze` BOTH evaluates the reading
 * AND folds it into `history` (baselines, hysteresis counters, RUL trend); there is no separate push,
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

    const soh = usable(reading, 'soh', 0, 2)
    const brake = usable(reading, 'brake_pad_wear', 0, 2)
    h.rul.observe(h.tDays, soh, brake)
    if (anomalies.length > 1) {
      anomalies.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.score - a.score)
    }
    const top = anomalies[0]
    const rul = urgentRul(h.rul.estimate(), top ? top.severity : null, layout.rul)
    return {
      anomaly_detected: top !== undefined,
      anomalies,
      anomaly_type: top ? top.type : null,
      anomaly_reason: top ? top.reason : null,
      severity: top ? top.severity : null,
      signals: top ? top.signals : [],
      anomaly_score: top ? top.score : 0,
      rul_days: rul,
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
    return this.describe(cr, state, h, v, level, state.lastRank)
  }

  private driftRank(cr: CompiledRule, w: DriftWatch, b: SignalBaseline, x: number): number {
    if (!w.main)
      return b.lastZ >= 2 * this.layout.drift.raiseZ && b.lastDeviation >= 2 * w.minDeviation ? 1 : 0
    return driftProgress(cr, b, x) >= 0.6 ? 1 : 0
  }

  private describe(
    cr: CompiledRule,
    state: RuleState,
    h: VehicleHistory,
    v: number,
    level: number,
    rank: number,
  ): Anomaly {
    const { rule } = cr
    const op = cr.above ? '>' : '<'
    const signals: Signal[] = []
    let reason = ''
    let score = 0
    if (level >= 2) {
      const t = (cr.sign * (v - rule.threshold)) / (cr.sign * (rule.critical - rule.threshold))
      score = Math.min(1, 0.6 + 0.3 * t)
      const b = cr.mainSlot >= 0 ? h.baselines[cr.mainSlot] : undefined
      signals.push({
        signal: rule.signal,
        value: v,
        threshold: rule.threshold,
        ...(b?.warm ? { baseline: b.mean } : {}),
        score,
        kind: 'threshold',
      })
      reason =
        level === 3
          ? `${rule.label}: ${rule.signal} ${fmt(v)} ${op} ${fmt(rule.critical)} (critical level)`
          : `${rule.label}: ${rule.signal} ${fmt(v)} ${op} ${fmt(rule.threshold)}`
    }
    for (const w of cr.watches) {
      const b = h.baselines[w.slot]!
      if (!b.observed || !b.inDrift || (w.main && level >= 2)) continue
      const model = h.models[w.slot]
      if (model !== undefined) {
        if (level >= 2 && w.signal === rule.signal) continue
        const s = 0.2 + 0.39 * clamp01((b.lastZ - this.layout.drift.raiseZ) / this.layout.drift.raiseZ)
        score = Math.max(score, s)
        const expected = model.lastExpected
        signals.push({
          signal: w.signal,
          value: model.lastValue,
          ...(w.signal === rule.signal ? { threshold: rule.threshold } : {}),
          baseline: expected,
          z: Math.round(b.lastZ * 10) / 10,
          score: s,
          kind: 'drift',
        })
        if (reason === '') {
          const side = w.above ? 'above' : 'below'
          const drivers = w.explain!.map((c) => c.signal).join(' and ')
          reason =
            `${rule.label} (drift): ${w.signal} ${fmt(model.lastValue)} is ${fmt(b.lastDeviation)} ${side} ` +
            `the ${fmt(expected)} its ${drivers} explain (z ${fmt(b.lastZ)})`
        }
        continue
      }
      const x = b.last
      const s = w.main
        ? 0.2 + 0.39 * clamp01(driftProgress(cr, b, x))
        : 0.2 + 0.39 * clamp01((b.lastZ - this.layout.drift.raiseZ) / this.layout.drift.raiseZ)
      score = Math.max(score, s)
      signals.push({
        signal: w.signal,
        value: x,
        ...(w.main ? { threshold: rule.threshold } : {}),
        baseline: b.lastMean,
        z: Math.round(b.lastZ * 10) / 10,
        score: s,
        kind: 'drift',
      })
      if (reason === '') {
        const side = w.above ? 'above' : 'below'
        reason =
          `${rule.label} (drift): ${w.signal} ${fmt(x)} is ${fmt(b.lastDeviation)} ${side} its baseline ` +
          `${fmt(b.lastMean)} (z ${fmt(b.lastZ)})${w.main ? `, approaching ${fmt(rule.threshold)}` : ''}`
      }
    }
    if (signals.length === 0) {
      // Held by hysteresis: no fresh evidence, the last known value of the rule's signal stands in.
      score = HELD_SCORE[rank]!
      const safe = cr.above ? 'below' : 'above'
      const stand = heldEvidence(cr, state, h)
      signals.push({ ...stand, score, kind: 'threshold' })
      reason =
        `${rule.label}: ${stand.signal} ${fmt(stand.value)}, still active until ${rule.signal} is back ${safe} ` +
        `${fmt(rule.clear)} for ${this.layout.clearAfter} readings`
    }
    return {
      type: rule.type,
      label: rule.label,
      component: rule.component,
      severity: SEVERITIES[rank] as Severity,
      reason,
      signals,
      score,
    }
  }
}

/**
 * The part of `x` its covariates do not explain (NaN when `x` or a covariate is unusable, or the
 * model is still learning). The model learns only from unsuspicious readings: not while the rule is
 * beyond its threshold or in drift, nor once the residual stands out (z >= clearZ, or half the
 * minimum deviation), so that the early part of a fault is not learned as normal.
 */
function unexplained(
  model: LagModel,
  w: DriftWatch,
  baseline: SignalBaseline,
  reading: Record<string, unknown>,
  x: number,
  alarm: boolean,
  clearZ: number,
): number {
  const covariates = w.explain!
  for (let i = 0; i < covariates.length; i++) {
    const c = covariates[i]!
    const u = usable(reading, c.signal, c.min, c.max)
    if (Number.isNaN(u)) {
      model.skip()
      return u
    }
    model.u[i] = c.magnitude ? Math.abs(u) : u
  }
  if (Number.isNaN(x)) return model.observe(x, false)
  const suspicious =
    alarm ||
    baseline.inDrift ||
    (baseline.observed &&
      baseline.warm &&
      (baseline.lastZ >= clearZ || baseline.lastDeviation >= w.minDeviation / 2))
  return model.observe(x, !suspicious)
}

/** The last known value behind a held type: the rule's signal, else the last value of a watched signal. */
function heldEvidence(
  cr: CompiledRule,
  state: RuleState,
  h: VehicleHistory,
): { signal: string; value: number; threshold?: number } {
  if (Number.isFinite(state.lastValue)) {
    return { signal: cr.rule.signal, value: state.lastValue, threshold: cr.rule.threshold }
  }
  for (const w of cr.watches) {
    const last = h.models[w.slot]?.lastValue ?? h.baselines[w.slot]!.last
    if (Number.isFinite(last)) return { signal: w.signal, value: last }
  }
  // Unreachable (activation needs a usable value); keeps the result schema-valid regardless.
  return { signal: cr.rule.signal, value: cr.rule.clear, threshold: cr.rule.threshold }
}

/** How far the value has moved from the baseline toward the threshold (1 when the baseline is already past it). */
function driftProgress(cr: CompiledRule, b: SignalBaseline, x: number): number {
  const span = cr.sign * (cr.rule.threshold - b.lastMean)
  return span > 0 ? (cr.sign * (x - b.lastMean)) / span : 1
}

function emptyResult(): AnalysisResult {
  return {
    anomaly_detected: false,
    anomalies: [],
    anomaly_type: null,
    anomaly_reason: null,
    severity: null,
    signals: [],
    anomaly_score: 0,
    rul_days: 0,
    raised: [],
    escalated: [],
    cleared: [],
  }
}
