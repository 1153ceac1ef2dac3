import { SEVERITIES, type Severity } from '../../domain.js'
/**
 * Result building of the data analysis agent: the description of an active anomaly (reason, signals,
 * score) and the empty result. Split from `data-agent.ts` to keep files small.
 */
import type { AnalysisResult, Anomaly, Signal } from '../../schemas/analysis.js'
import { driftProgress } from './drift-evaluation.js'
import type { RuleState } from './vehicle-baseline.js'
import type { CompiledRule, Layout, VehicleHistory } from './vehicle-history.js'

const HELD_SCORE = [0.1, 0.3, 0.6, 0.9]

function fmt(x: number): string {
  return String(Math.round(x * 1000) / 1000)
}

function clamp01(x: number): number {
  return x > 0 ? Math.min(1, x) : 0
}

/** The active anomaly of one rule on one reading: its severity `rank`, reason, evidence signals and score. */
export function describeAnomaly(
  layout: Layout,
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
      const s = 0.2 + 0.39 * clamp01((b.lastZ - layout.drift.raiseZ) / layout.drift.raiseZ)
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
      : 0.2 + 0.39 * clamp01((b.lastZ - layout.drift.raiseZ) / layout.drift.raiseZ)
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
      `${fmt(rule.clear)} for ${layout.clearAfter} readings`
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

export function emptyResult(): AnalysisResult {
  return {
    anomaly_detected: false,
    anomalies: [],
    anomaly_type: null,
    anomaly_reason: null,
    severity: null,
    signals: [],
    anomaly_score: 0,
    rul: null,
    raised: [],
    escalated: [],
    cleared: [],
  }
}
