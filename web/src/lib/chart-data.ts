/**
 * Chart data helpers shared by every chart: missing readings stay missing (a break in the line, never
 * a straight line across an outage), and the time ranges of the range picker.
 */

/** The typical step between readings: the median of the steps (robust to the odd outage). */
export function typicalStep(xs: readonly number[]): number {
  if (xs.length < 2) return 0
  const steps: number[] = []
  for (let i = 1; i < xs.length; i++) steps.push(xs[i]! - xs[i - 1]!)
  steps.sort((a, b) => a - b)
  return steps[Math.floor(steps.length / 2)]!
}

/**
 * A null point inside every gap longer than `factor` typical steps (or `minGap`, whichever is longer),
 * so uPlot breaks the line there. Non-finite values become null too. Without a gap the arrays are
 * copies of the input.
 */
export function withGaps(
  xs: readonly number[],
  ys: readonly number[],
  { factor = 3, minGap = 0 }: { factor?: number; minGap?: number } = {},
): [number[], Array<number | null>] {
  const limit = Math.max(typicalStep(xs) * factor, minGap)
  const outX: number[] = []
  const outY: Array<number | null> = []
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!
    if (i > 0 && limit > 0 && x - xs[i - 1]! > limit) {
      outX.push((x + xs[i - 1]!) / 2)
      outY.push(null)
    }
    const y = ys[i]
    outX.push(x)
    outY.push(typeof y === 'number' && Number.isFinite(y) ? y : null)
  }
  return [outX, outY]
}

export const RANGES = ['live', '1h', '24h', '7d', '30d', 'custom'] as const
export type RangeKey = (typeof RANGES)[number]

export const RANGE_LABEL: Record<RangeKey, string> = {
  live: 'Live',
  '1h': '1 h',
  '24h': '24 h',
  '7d': '7 d',
  '30d': '30 d',
  custom: 'Custom',
}

const SPAN_MS: Record<Exclude<RangeKey, 'live' | 'custom'>, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
}

/**
 * The [from, to) of a range, ending at `clockMs`: the vehicle's own clock (its newest reading), the
 * one clock the charts, readouts and alarms all use, so "the last hour" is the vehicle's last hour.
 */
export function rangeWindow(
  key: RangeKey,
  clockMs: number,
  custom?: { from?: string; to?: string },
): { from: string; to: string } | null {
  if (key === 'live') return null
  if (key === 'custom') {
    const from = custom?.from ? Date.parse(custom.from) : Number.NaN
    const to = custom?.to ? Date.parse(custom.to) : clockMs + 1
    if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) return null
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString() }
  }
  // +1 ms: the newest reading itself is inside the half-open range.
  return { from: new Date(clockMs - SPAN_MS[key]).toISOString(), to: new Date(clockMs + 1).toISOString() }
}

/** The raw readings a chart asks for at most (the API allows this many per answer). */
export const RAW_PAGE = 10_000

/**
 * The stored telemetry of a range at the resolution it deserves: the last hour or day as the
 * readings themselves (4 and 96 of them from a unit reporting every 15 minutes), a week or a
 * month as hourly buckets. A live replay sends a reading every few seconds, so a day can hold more
 * readings than one answer: then the hourly buckets of the whole day, rather than its first page.
 */
export async function loadRange<T>(
  get: (params: Record<string, string>) => Promise<T[]>,
  key: RangeKey,
  span: { from: string; to: string },
): Promise<T[]> {
  if (key === '7d' || key === '30d') return get({ ...span, bucket: '1h' })
  // A custom range gets the API's choice by its length (raw up to a day).
  const limit = String(RAW_PAGE)
  const first = await get(key === 'custom' ? { ...span, limit } : { ...span, bucket: 'raw', limit })
  return first.length < RAW_PAGE ? first : get({ ...span, bucket: '1h' })
}
