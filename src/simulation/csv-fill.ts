import { SIGNAL_RANGES } from '../schemas/signal-ranges.js'
import { NUMERIC_FIELDS, type NumericField } from '../schemas/telemetry.js'

/** What filling a loaded table's holes did, per canonical column name. */
export interface FillResult {
  filledByColumn: Record<string, number>
  /** Cells outside their signal's plausible range: kept for the pipeline to reject, never a fill source. */
  implausibleByColumn: Record<string, number>
  /** Columns with no plausible value at all: their holes stay empty (null readings). */
  columnsWithoutValues: string[]
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  values.sort((a, b) => a - b)
  const mid = values.length >> 1
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2
}

/**
 * Fills the blank and non-numeric cells (NaN) of a column-wise table, in place: a hole takes the
 * same vehicle's last plausible value before it in time; the first readings of a vehicle, which
 * have none, take the median of that vehicle's plausible values, else the column's median. Never
 * a mean: one `1e9` cell would drag a mean anywhere, and a median does not move. Implausible
 * cells are left for the pipeline (it stores null for them), and are never copied into a hole.
 */
export function fillHoles(
  columns: Float64Array[],
  n: number,
  timestamps: Float64Array,
  vinIds: Uint32Array,
  vinCount: number,
): FillResult {
  const result: FillResult = { filledByColumn: {}, implausibleByColumn: {}, columnsWithoutValues: [] }
  let order: Uint32Array | undefined
  NUMERIC_FIELDS.forEach((name, k) => {
    const column = columns[k]!
    const { min, max } = SIGNAL_RANGES[name as NumericField]
    let holes = 0
    let implausible = 0
    for (let i = 0; i < n; i++) {
      const v = column[i]!
      if (Number.isNaN(v)) holes++
      else if (v < min || v > max) implausible++
    }
    if (implausible > 0) result.implausibleByColumn[name] = implausible
    if (holes === 0) return
    result.filledByColumn[name] = holes
    // Time order, ties in file order: "last" means last before this reading, not last in the file.
    order ??= Uint32Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => timestamps[a]! - timestamps[b]! || a - b,
    )
    const last = new Float64Array(vinCount).fill(Number.NaN)
    const unfilled: number[] = []
    for (let j = 0; j < n; j++) {
      const i = order[j]!
      const v = column[i]!
      if (Number.isNaN(v)) {
        const prior = last[vinIds[i]!]!
        if (Number.isNaN(prior)) unfilled.push(i)
        else column[i] = prior
      } else if (v >= min && v <= max) last[vinIds[i]!] = v
    }
    if (unfilled.length === 0) return
    const good = (vin: number): number[] => {
      const out: number[] = []
      for (let i = 0; i < n; i++) {
        const v = column[i]!
        if ((vin < 0 || vinIds[i] === vin) && v >= min && v <= max) out.push(v)
      }
      return out
    }
    const byVin = new Map<number, number>()
    let overall: number | undefined
    for (const i of unfilled) {
      const vin = vinIds[i]!
      let fill = byVin.get(vin)
      if (fill === undefined) {
        fill = median(good(vin))
        byVin.set(vin, fill)
      }
      if (Number.isNaN(fill)) {
        overall ??= median(good(-1))
        fill = overall
      }
      column[i] = fill
    }
    if (overall !== undefined && Number.isNaN(overall)) result.columnsWithoutValues.push(name)
  })
  return result
}
