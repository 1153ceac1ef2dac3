import { DataAnalysisAgent } from '../../src/agents/detection/data-agent.js'
import { DEFAULT_RUL_FIT, type RulEstimate, type RulFitOptions } from '../../src/agents/detection/rul.js'
import { DEFAULT_RULES } from '../../src/agents/detection/rules.js'
import { SEVERITY_RANK, type Severity } from '../../src/domain.js'
import type { AnomalyType } from '../../src/schemas/analysis.js'
import type { TelemetryReading } from '../../src/schemas/telemetry.js'
import { DEFAULT_KIND_TO_TYPES, type GroundTruthFault, MATCH_GRACE_MS, median } from './detection-eval.js'
import { replayAnalysis } from './replay-analysis.js'

/**
 * Offline evaluation of the remaining-useful-life estimates against a labelled fleet: the readings
 * are replayed as the service sees them (one analysis history and one 240-reading ring per vehicle,
 * an episode per anomaly type that opens when raised and escalates when its severity rises), and at
 * every opening and escalation of an episode matching a fault the estimate is compared with the
 * time the fault's signal actually reached the estimate's level (from the readings). Pure.
 */

export interface RulPoint {
  faultId: string
  kind: string
  vin: string
  type: AnomalyType
  event: 'opened' | 'escalated'
  severity: Severity
  at: string
  estimate: RulEstimate
  /** Days from `at` until the signal reached `estimate.rul_limit`; null when it never did (censored). */
  actualDays: number | null
  /** Censored: days from `at` to the fault's end (+ grace), a lower bound of the truth. */
  censoredAfterDays: number | null
  /** |predicted - actual| / actual; null when unknown, censored or the truth is 0. */
  ape: number | null
  /** Whether [low, high] holds the truth (a censored truth: high is at least the censoring time). */
  covered: boolean | null
}

export interface RulGroup {
  events: number
  /** Estimates with a number (not 'insufficient-trend'). */
  estimated: number
  unknown: number
  /** Estimated, with a truth that was observed and not 0: the ones an error is computed on. */
  scored: number
  medianApe: number | null
  /**
   * Share of the estimates still counting down (not already crossed, which are exact by
   * construction) whose interval holds the truth, observed or censored.
   */
  coverage: number | null
  censored: number
  /** Estimates of 0 (already crossed). */
  crossed: number
}

export interface RulReport {
  points: RulPoint[]
  firstAlert: RulGroup
  escalation: RulGroup
  all: RulGroup
}

const DAY_MS = 86_400_000
const toMs = (iso: string) => Date.parse(iso)

function group(points: readonly RulPoint[]): RulGroup {
  const estimated = points.filter((p) => p.estimate.rul_days !== null)
  const apes = estimated.flatMap((p) => (p.ape === null ? [] : [p.ape]))
  const judged = estimated.filter((p) => p.covered !== null && p.estimate.rul_method !== 'crossed')
  return {
    events: points.length,
    estimated: estimated.length,
    unknown: points.length - estimated.length,
    scored: apes.length,
    medianApe: median(apes),
    coverage: judged.length === 0 ? null : judged.filter((p) => p.covered).length / judged.length,
    censored: estimated.filter((p) => p.actualDays === null).length,
    crossed: estimated.filter((p) => p.estimate.rul_method === 'crossed').length,
  }
}

interface OpenEpisode {
  severity: Severity
  fault: GroundTruthFault | undefined
}

/** Replays `readings` (timestamp order) and scores every estimate made at an episode's opening or escalation. */
export function evaluateRul(
  readings: readonly TelemetryReading[],
  faults: readonly GroundTruthFault[],
  fit: RulFitOptions = DEFAULT_RUL_FIT,
): RulReport {
  const analyzer = new DataAnalysisAgent()
  const analyze = replayAnalysis(analyzer)
  const byVin = new Map<string, TelemetryReading[]>()
  for (const r of readings) {
    const list = byVin.get(r.vin)
    if (list) list.push(r)
    else byVin.set(r.vin, [r])
  }
  const indexOf = new Map<TelemetryReading, number>()
  for (const list of byVin.values()) {
    for (let i = 0; i < list.length; i++) indexOf.set(list[i]!, i)
  }
  const open = new Map<string, OpenEpisode>()
  const points: RulPoint[] = []
  for (const reading of readings) {
    const { result, ring } = analyze(reading)
    for (const anomaly of result.anomalies) {
      const key = `${reading.vin}\u0000${anomaly.type}`
      const episode = open.get(key)
      let event: RulPoint['event'] | null = null
      if (!episode) {
        const at = toMs(reading.timestamp)
        const fault = faults.find(
          (f) =>
            f.vin === reading.vin &&
            (DEFAULT_KIND_TO_TYPES[f.kind] ?? []).includes(anomaly.type) &&
            at >= toMs(f.start) &&
            at <= toMs(f.end) + MATCH_GRACE_MS,
        )
        open.set(key, { severity: anomaly.severity, fault })
        if (fault) event = 'opened'
      } else if (SEVERITY_RANK[anomaly.severity] > SEVERITY_RANK[episode.severity]) {
        episode.severity = anomaly.severity
        if (episode.fault) event = 'escalated'
      }
      const fault = open.get(key)!.fault
      if (event === null || !fault) continue
      const estimate = analyzer.estimateRul(anomaly.type, ring.toArray(), fit)
      const later = byVin.get(reading.vin)!.slice(indexOf.get(reading)!)
      points.push(score(fault, anomaly.type, event, anomaly.severity, reading.timestamp, estimate, later))
    }
    for (const type of result.cleared) open.delete(`${reading.vin}\u0000${type}`)
  }
  return {
    points,
    firstAlert: group(points.filter((p) => p.event === 'opened')),
    escalation: group(points.filter((p) => p.event === 'escalated')),
    all: group(points),
  }
}

function score(
  fault: GroundTruthFault,
  type: AnomalyType,
  event: RulPoint['event'],
  severity: Severity,
  at: string,
  estimate: RulEstimate,
  later: readonly TelemetryReading[],
): RulPoint {
  const base = { faultId: fault.id, kind: fault.kind, vin: fault.vin, type, event, severity, at, estimate }
  if (estimate.rul_days === null || estimate.rul_limit === null) {
    return { ...base, actualDays: null, censoredAfterDays: null, ape: null, covered: null }
  }
  const rule = DEFAULT_RULES.find((r) => r.type === type)!
  const sign = rule.direction === 'above' ? 1 : -1
  const gate = rule.measured_when
  const limit = estimate.rul_limit
  const now = toMs(at)
  const until = toMs(fault.end) + MATCH_GRACE_MS
  let crossedAt: number | null = null
  for (const r of later) {
    const t = toMs(r.timestamp)
    if (t > until) break
    const row = r as unknown as Record<string, number>
    if (
      gate &&
      !(row[gate.signal]! >= (gate.min ?? -Infinity) && row[gate.signal]! <= (gate.max ?? Infinity))
    )
      continue
    if (sign * (row[rule.signal]! - limit) >= 0) {
      crossedAt = t
      break
    }
  }
  const low = estimate.rul_low_days ?? 0
  const high = estimate.rul_high_days ?? Number.POSITIVE_INFINITY
  if (crossedAt === null) {
    const censoredAfterDays = (until - now) / DAY_MS
    return { ...base, actualDays: null, censoredAfterDays, ape: null, covered: high >= censoredAfterDays }
  }
  const actualDays = (crossedAt - now) / DAY_MS
  return {
    ...base,
    actualDays,
    censoredAfterDays: null,
    ape: actualDays > 0 ? Math.abs(estimate.rul_days - actualDays) / actualDays : null,
    covered: low <= actualDays + 1e-9 && actualDays <= high + 1e-9,
  }
}
