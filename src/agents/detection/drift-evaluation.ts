/**
 * Per-reading evaluation helpers of the data analysis agent: reading usable values, `measured_when`
 * gates, the explained-drift residual and drift progress. Split from `data-agent.ts` to keep files small.
 */
import type { LagModel } from './lag-model.js'
import type { SignalBaseline } from './vehicle-baseline.js'
import type { CompiledRule, DriftWatch, Gate } from './vehicle-history.js'

/** Reads a usable numeric field, NaN when missing, non-numeric, non-finite or outside [min, max]. */
export function usable(reading: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = reading[field]
  return typeof v === 'number' && v >= min && v <= max ? v : Number.NaN
}

/** Whether the reading meets a `measured_when` condition; a reading without the context value does. */
export function measured(reading: Record<string, unknown>, gate: Gate | undefined): boolean {
  if (gate === undefined) return true
  const c = reading[gate.signal]
  if (typeof c !== 'number' || !Number.isFinite(c)) return true
  return c >= gate.min && c <= gate.max
}

/**
 * The part of `x` its covariates do not explain (NaN when `x` or a covariate is unusable, or the
 * model is still learning). The model learns only from unsuspicious readings: not while the rule is
 * beyond its threshold or in drift, nor once the residual stands out (z >= clearZ, or half the
 * minimum deviation), so that the early part of a fault is not learned as normal.
 */
export function unexplained(
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

/** How far the value has moved from the baseline toward the threshold (1 when the baseline is already past it). */
export function driftProgress(cr: CompiledRule, b: SignalBaseline, x: number): number {
  const span = cr.sign * (cr.rule.threshold - b.lastMean)
  return span > 0 ? (cr.sign * (x - b.lastMean)) / span : 1
}
