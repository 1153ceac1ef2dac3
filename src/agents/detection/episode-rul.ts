/**
 * The remaining useful life of an episode's rule, from the vehicle's recent readings (the live
 * state's ring): the rule's signal as a time series, read only where the rule measures it, and the
 * rule's limits in the order the signal meets them.
 */
import type { TelemetryReading } from '../../schemas/telemetry.js'
import { measured, usable } from './drift-evaluation.js'
import { isoToEpochDays } from './epoch-days.js'
import { DEFAULT_RUL_FIT, estimateRul, type RulEstimate, type RulFitOptions } from './rul.js'
import type { CompiledRule } from './vehicle-history.js'

/** The rule's hard limit, its critical level and the component's end of life, nearest first. */
export function ruleLimits(cr: CompiledRule): number[] {
  const { threshold, critical, end_of_life } = cr.rule
  const levels = [threshold, critical, ...(end_of_life === undefined ? [] : [end_of_life])]
  return [...new Set(levels)].sort((a, b) => cr.sign * (a - b))
}

export function episodeRul(
  cr: CompiledRule,
  readings: readonly TelemetryReading[],
  options: RulFitOptions = DEFAULT_RUL_FIT,
): RulEstimate {
  const n = readings.length
  const t = new Float64Array(n)
  const y = new Float64Array(n)
  const log = cr.rule.rul?.model === 'exponential'
  for (let i = 0; i < n; i++) {
    const r = readings[i] as unknown as Record<string, unknown>
    t[i] = isoToEpochDays(readings[i]!.timestamp)
    const v = measured(r, cr.gate) ? usable(r, cr.rule.signal, cr.min, cr.max) : Number.NaN
    y[i] = log ? (v > 0 ? Math.log(v) : Number.NaN) : v
  }
  const period = cr.rule.rul?.period_hours ?? 0
  const windows = options.windowsHours.filter((h) => h >= 2 * period)
  const fit = { ...options, windowsHours: windows.length > 0 ? windows : [2 * period], minPairHours: period }
  const limits = ruleLimits(cr)
  const target = {
    above: cr.above,
    limits: log ? limits.map((l) => (l > 0 ? Math.log(l) : -Infinity)) : limits,
  }
  const estimate = estimateRul({ t, y }, target, fit)
  if (!log || estimate.rul_limit === null) return estimate
  return { ...estimate, rul_limit: limits[target.limits.indexOf(estimate.rul_limit)] ?? null }
}
