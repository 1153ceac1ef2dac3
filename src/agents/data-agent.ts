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
import { DEFAULT_RUL_OPTIONS, isoToEpochDays, type RulOptions, urgentRul } from './rul.js'
import { DEFAULT_RULES, type Rule, validateRules } from './rules.js'
import {
  type CompiledRule,
  DEFAULT_DRIFT_PARAMS,
  type DriftParams,
  type DriftWatch,
  type Layout,
  type RuleState,
  type SignalBaseline,
  VehicleHistory,
} from './vehicle-baseline.js'

export { VehicleHistory } from './vehicle-baseline.js'

export interface DataAnalysisOptions {
  /** Consecutive readings on the safe side of the clear level before an active type clears (default 4). */
  clearAfter?: number
  drift?: Partial<DriftParams>
  /** RUL options; end-of-life limits default to the `soh` and `brake_pad_wear` rule thresholds. */
  rul?: Partial<RulOptions>
  /**
   * When set, the RUL time axis is `reading count x interval` instead of the readings' timestamps
   * (for replays that stamp readings with wall-clock time faster than real time).
   */
  readingIntervalMinutes?: number
}

// Bounds for signals without a configured valid range: beyond them a value is a glitch, not a measurement.
const GLOBAL_MIN = -1e12
const GLOBAL_MAX = 1e12

/** Reads a usable numeric field, NaN when missing, non-numeric, non-finite or outside [min, max]. */
function valueOf(reading: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = reading[field]
  return typeof v === 'number' && v >= min && v <= max ? v : Number.NaN
}

function fmt(x: number): string {
  return String(Math.round(x * 1000) / 1000)
}

function clamp01(x: number): number {
  return x > 1 ? 1 : x > 0 ? x : 0
}

/**
 * The per-reading data analysis agent: threshold rules, per-vehicle drift detection with
 * hysteresis, and the remaining useful life. Pure (no I/O) and cheap enough to run on every reading.
 *
 * Usage: keep one `VehicleHistory` per vehicle (`agent.createHistory()`) and call
 * `agent.analyze(reading, history)` for each reading in order. `analyze` BOTH evaluates the reading
 * AND folds it into `history` (baselines, hysteresis counters, RUL trend); there is no separate push,
 * so never call `analyze` twice for the same reading. A history is bounded (a few KB) and a history
 * whose VIN differs from the reading's is reset rather than mixed across vehicles.
 */
export class DataAnalysisAgent {
  readonly rules: readonly Rule[]
  private readonly layout: Layout

  constructor(rules: readonly Rule[] = DEFAULT_RULES, options: DataAnalysisOptions = {}) {
    this.rules = validateRules(
      rules.map((rule) => ({ ...rule })),
      'DataAnalysisAgent rules',
    )
    const drift: DriftParams = { ...DEFAULT_DRIFT_PARAMS, ...options.drift }
    const soh = this.rules.find((r) => r.signal === 'soh' && r.direction === 'below')
    const brake = this.rules.find((r) => r.signal === 'brake_pad_wear' && r.direction === 'above')
    const rul: RulOptions = {
      ...DEFAULT_RUL_OPTIONS,
      ...(soh ? { sohLimit: soh.threshold } : {}),
      ...(brake ? { brakeLimit: brake.threshold } : {}),
      ...options.rul,
    }
    const rangeOf = (signal: string): [number, number] => {
      const owner = this.rules.find((r) => r.signal === signal)
      return [owner?.valid_min ?? GLOBAL_MIN, owner?.valid_max ?? GLOBAL_MAX]
    }
    let slot = 0
    const compiled: CompiledRule[] = this.rules.map((rule) => {
      const above = rule.direction === 'above'
      const [min, max] = rangeOf(rule.signal)
      const watches: DriftWatch[] = (rule.drift_signals ?? []).map((d) => {
        const [dmin, dmax] = rangeOf(d.signal)
        const watchAbove = (d.direction ?? rule.direction) === 'above'
        return {
          slot: slot++,
          signal: d.signal,
          above: watchAbove,
          minDeviation: d.min_deviation,
          main: d.signal === rule.signal && watchAbove === above,
          min: dmin,
          max: dmax,
        }
      })
      return { rule, above, sign: above ? 1 : -1, min, max, watches }
    })
    const interval = options.readingIntervalMinutes
    this.layout = {
      rules: compiled,
      drift,
      rul,
      clearAfter: Math.max(1, Math.floor(options.clearAfter ?? 4)),
      intervalDays: interval !== undefined && interval > 0 ? interval / 1440 : undefined,
    }
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
      return emptyResult(0)
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
      else if (anomaly) {
        anomalies.push(anomaly)
        if (state.justRaised) raised.push(cr.rule.type)
        else if (state.justEscalated) escalated.push(cr.rule.type)
      }
    }

    const soh = valueOf(reading, 'soh', 0, 2)
    const brake = valueOf(reading, 'brake_pad_wear', 0, 2)
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
  ): Anomaly | 'cleared' | null {
    const { rule, sign } = cr
    const v = valueOf(reading, rule.signal, cr.min, cr.max)
    let level = -1 // -1 none, 0 Low, 1 Medium, 2 High, 3 Critical
    if (v === v) {
      state.lastValue = v
      if (sign * (v - rule.threshold) > 0) level = sign * (v - rule.critical) > 0 ? 3 : 2
    }
    let driftLevel = -1
    let calm = true
    for (const w of cr.watches) {
      const baseline = h.baselines[w.slot]!
      const x = w.main ? v : valueOf(reading, w.signal, w.min, w.max)
      if (x !== x) {
        baseline.skip()
        continue
      }
      const inDrift = baseline.observe(x, w.main && level >= 2)
      if (!baseline.calm) calm = false
      if (inDrift) driftLevel = Math.max(driftLevel, this.driftRank(cr, w, baseline, x))
    }

    const evidence = Math.max(level, driftLevel)
    state.justRaised = false
    state.justEscalated = false
    if (!state.active) {
      if (evidence < 0) return null
      state.active = true
      state.justRaised = true
      state.peak = evidence
      state.clearCount = 0
    } else if (evidence >= 0) {
      state.clearCount = 0
      if (evidence > state.peak) {
        state.peak = evidence
        state.justEscalated = true
      }
    } else if (v === v) {
      if (sign * (v - rule.clear) < 0 && calm) {
        if (++state.clearCount >= this.layout.clearAfter) {
          state.active = false
          state.clearCount = 0
          state.peak = -1
          return 'cleared'
        }
      } else state.clearCount = 0
    }
    return this.describe(cr, state, h, v, level, Math.max(evidence, 0))
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
      const mainWatch = cr.watches.find((w) => w.main)
      const b = mainWatch ? h.baselines[mainWatch.slot] : undefined
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
      score = 0.1
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
    const last = h.baselines[w.slot]!.last
    if (Number.isFinite(last)) return { signal: w.signal, value: last }
  }
  // Unreachable (activation needs a usable value); keeps the result schema-valid regardless.
  return { signal: cr.rule.signal, value: cr.rule.clear, threshold: cr.rule.threshold }
}

/** How far the value has moved from the baseline toward the threshold, 0..1 (1 when the baseline is already past it). */
function driftProgress(cr: CompiledRule, b: SignalBaseline, x: number): number {
  const span = cr.sign * (cr.rule.threshold - b.mean)
  return span > 0 ? (cr.sign * (x - b.mean)) / span : 1
}

function emptyResult(rulDays: number): AnalysisResult {
  return {
    anomaly_detected: false,
    anomalies: [],
    anomaly_type: null,
    anomaly_reason: null,
    severity: null,
    signals: [],
    anomaly_score: 0,
    rul_days: rulDays,
    raised: [],
    escalated: [],
    cleared: [],
  }
}
