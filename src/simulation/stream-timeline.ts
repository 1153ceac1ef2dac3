import type { NumericField } from '../schemas/telemetry.js'
import type { TelemetryTable } from './csv-loader.js'

/** The replay order of a table: one step per distinct timestamp. */
export interface Timeline {
  /** Number of steps (distinct timestamps). */
  steps: number
  /** Row index where each step starts, plus a final entry equal to the row count. */
  stepStarts: Uint32Array
  /** Epoch ms of each step. */
  stepTimes: Float64Array
  /** The most common gap between consecutive steps; 1 s when there is a single step. */
  stepIntervalMs: number
  /** How far each loop shifts the timestamps: last - first + one interval. */
  loopShiftMs: number
}

/** Used when there is only one distinct timestamp and so no gap to learn the cadence from. */
const FALLBACK_INTERVAL_MS = 1000

/**
 * Returns the table sorted by timestamp. The sort is stable (ties keep file order, which is VIN
 * order in our fleet file); an already-sorted table, the usual case, is returned as is.
 */
export function sortByTimestamp(table: TelemetryTable): TelemetryTable {
  const { length: n, timestamps } = table
  let sorted = true
  for (let i = 1; i < n && sorted; i++) sorted = timestamps[i - 1]! <= timestamps[i]!
  if (sorted) return table

  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  // The index tie-break makes stability explicit rather than relying on the engine's sort.
  order.sort((a, b) => timestamps[a]! - timestamps[b]! || a - b)

  const permute = <T extends Float64Array | Uint32Array>(source: T): T => {
    const out = new (source.constructor as new (length: number) => T)(n)
    for (let i = 0; i < n; i++) out[i] = source[order[i]!]!
    return out
  }
  const columns = {} as Record<NumericField, Float64Array>
  for (const [field, column] of Object.entries(table.columns)) {
    columns[field as NumericField] = permute(column)
  }
  return {
    length: n,
    timestamps: permute(timestamps),
    vinIds: permute(table.vinIds),
    vins: table.vins,
    columns,
  }
}

/** Splits a timestamp-sorted table into steps and learns its cadence. */
export function buildTimeline(table: TelemetryTable): Timeline {
  const { length: n, timestamps } = table
  const starts: number[] = []
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t = timestamps[i]!
    if (i === 0 || t !== timestamps[i - 1]) {
      starts.push(i)
      times.push(t)
    }
  }
  starts.push(n)

  const gapCounts = new Map<number, number>()
  for (let s = 1; s < times.length; s++) {
    const gap = times[s]! - times[s - 1]!
    gapCounts.set(gap, (gapCounts.get(gap) ?? 0) + 1)
  }
  let stepIntervalMs = FALLBACK_INTERVAL_MS
  let best = 0
  for (const [gap, count] of gapCounts) {
    // Ties go to the smaller gap so the result does not depend on Map order.
    if (count > best || (count === best && gap < stepIntervalMs)) {
      best = count
      stepIntervalMs = gap
    }
  }
  const span = times.length > 0 ? times[times.length - 1]! - times[0]! : 0
  return {
    steps: times.length,
    stepStarts: Uint32Array.from(starts),
    stepTimes: Float64Array.from(times),
    stepIntervalMs,
    loopShiftMs: span + stepIntervalMs,
  }
}

/** A place in a looping replay: the pass over the file (0 = unshifted) and the step within it. */
export interface ReplayPosition {
  loop: number
  step: number
}

/**
 * The first position whose timestamp (the step's time shifted by `loop` times `loopShiftMs`, as
 * the replay shifts it) is strictly after `afterMs`: where a restarted replay continues without
 * repeating a stored reading. Null when a non-looping replay has nothing after it.
 */
export function resumePosition(timeline: Timeline, afterMs: number, loop: boolean): ReplayPosition | null {
  const { steps, stepTimes, loopShiftMs } = timeline
  if (steps === 0) return { loop: 0, step: 0 }
  const first = stepTimes[0]!
  // Every pass spans less than loopShiftMs, so the answer lies in this pass or the next one.
  let pass = loop && afterMs >= first ? Math.floor((afterMs - first) / loopShiftMs) : 0
  for (;;) {
    const shift = pass * loopShiftMs
    let lo = 0
    let hi = steps
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (stepTimes[mid]! + shift > afterMs) hi = mid
      else lo = mid + 1
    }
    if (lo < steps) return { loop: pass, step: lo }
    if (!loop) return null
    pass++
  }
}
