import type { BatchEvidence, RcaRepository } from '../../db/repositories/rca.js'
import type { ManufacturingInsight } from '../../db/schema.js'

/** CAPA knowledge: what a recurring failure of each type points to at the factory. */
export const FAILURE_PATTERNS: Readonly<
  Record<string, { component: string; pattern: string; recommendation: string }>
> = {
  battery_thermal: {
    component: 'battery',
    pattern: 'Battery thermal runaway risk: recurring cooling failures',
    recommendation:
      'Review the thermal paste application process on the pack assembly line (coverage and cure), ' +
      'audit coolant-plate contact for the batch, and inspect affected packs at their next service.',
  },
  motor_bearing: {
    component: 'motor',
    pattern: 'Premature motor bearing wear',
    recommendation:
      'Audit the bearing supplier lot and press-fit tolerances; add end-of-line vibration testing for the batch.',
  },
  motor_overheat: {
    component: 'motor',
    pattern: 'Motor overheating under load',
    recommendation: 'Check stator cooling-channel machining and inverter derating calibration for the batch.',
  },
  tire_pressure: {
    component: 'tires',
    pattern: 'Slow tyre pressure loss',
    recommendation: 'Inspect valve stems and rim bead sealing from the wheel supplier lot.',
  },
  brake_wear: {
    component: 'brakes',
    pattern: 'Accelerated brake pad wear',
    recommendation: 'Review regenerative-braking blend calibration and the pad compound specification.',
  },
  battery_degradation: {
    component: 'battery',
    pattern: 'Early battery capacity fade',
    recommendation: 'Review cell formation and grading records for the batch; check BMS charge limits.',
  },
}

export interface RcaResult {
  /** The insight written or updated, or null when no batch stands out. */
  insight: ManufacturingInsight | null
  batch: string | null
  /** One-sided Fisher exact p-value that the batch's share of affected vehicles is chance. */
  p_value: number | null
  batches: BatchEvidence[]
}

/** ln(n!) by summation: fleets are small enough that exactness beats an approximation. */
function logFactorial(n: number): number {
  let s = 0
  for (let i = 2; i <= n; i++) s += Math.log(i)
  return s
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k)
}

/**
 * P(X >= k) for X ~ Hypergeometric(N vehicles, K affected in the fleet, n in the batch): how likely a
 * batch this size would hold at least k affected vehicles if failures ignored batches.
 */
export function fisherOneSided(N: number, K: number, n: number, k: number): number {
  let p = 0
  for (let x = k; x <= Math.min(n, K); x++) {
    p += Math.exp(logChoose(K, x) + logChoose(N - K, n - x) - logChoose(N, n))
  }
  return Math.min(1, p)
}

export interface RcaOptions {
  /** A batch needs at least this many affected vehicles... */
  minAffectedVehicles?: number
  /** ...a failure rate at least this many times the rest of the fleet's... */
  minRateRatio?: number
  /** ...and a p-value below this. */
  maxPValue?: number
}

/**
 * Root-cause analysis across the fleet: when vehicles of one manufacturing batch show a failure
 * clearly more often than the rest of the fleet, it writes ONE insight for that pattern and
 * batch, and updates it as evidence grows (the unique index makes a second copy impossible).
 */
export class RCAAgent {
  private readonly opts: Required<RcaOptions>

  constructor(
    private readonly repo: RcaRepository,
    options: RcaOptions = {},
  ) {
    this.opts = { minAffectedVehicles: 2, minRateRatio: 2, maxPValue: 0.1, ...options }
  }

  /** `history`: the failure just diagnosed (its anomaly type). */
  async analyzeFailure(history: { anomalyType: string }): Promise<RcaResult> {
    const known = FAILURE_PATTERNS[history.anomalyType]
    const batches = await this.repo.batchEvidence(history.anomalyType)
    const none: RcaResult = { insight: null, batch: null, p_value: null, batches }
    if (!known) return none
    const N = batches.reduce((s, b) => s + b.vehicles, 0)
    const K = batches.reduce((s, b) => s + b.affected_vehicles, 0)
    let best: { b: BatchEvidence; p: number; ratio: number } | undefined
    for (const b of batches) {
      if (b.affected_vehicles < this.opts.minAffectedVehicles) continue
      const rate = b.affected_vehicles / b.vehicles
      const restVehicles = N - b.vehicles
      const restRate = restVehicles > 0 ? (K - b.affected_vehicles) / restVehicles : 0
      const ratio = restRate === 0 ? Number.POSITIVE_INFINITY : rate / restRate
      if (ratio < this.opts.minRateRatio) continue
      const p = fisherOneSided(N, K, b.vehicles, b.affected_vehicles)
      if (p > this.opts.maxPValue) continue
      if (!best || p < best.p) best = { b, p, ratio }
    }
    if (!best) return none
    const repeats = await this.repo.repeatsAfterService(history.anomalyType, best.b.batch)
    const rest = batches.filter((x) => x.batch !== best.b.batch)
    const evidence = {
      anomaly_type: history.anomalyType,
      batch_vehicles: best.b.vehicles,
      batch_affected_vehicles: best.b.affected_vehicles,
      batch_events: best.b.events,
      fleet_vehicles: N,
      fleet_affected_vehicles: K,
      rest_affected_vehicles: rest.reduce((s, x) => s + x.affected_vehicles, 0),
      rate_ratio: Number.isFinite(best.ratio) ? Number(best.ratio.toFixed(2)) : null,
      p_value: Number(best.p.toPrecision(3)),
      repeat_failures_after_service: repeats,
      by_batch: batches,
    }
    const confidence = Math.min(0.99, Number((1 - best.p).toFixed(3)))
    const insight = await this.repo.upsertInsight({
      ...known,
      batch: best.b.batch,
      confidence,
      events: best.b.events,
      evidence,
    })
    return { insight, batch: best.b.batch, p_value: best.p, batches }
  }
}
