export interface Summary {
  n: number
  mean: number
  p50: number
  p95: number
  p99: number
  max: number
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort()
  let sum = 0
  for (const x of sorted) sum += x
  return {
    n: sorted.length,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  }
}

/**
 * Latencies in 0.1 ms buckets up to 60 s (beyond: the last bucket). Fixed memory however many
 * samples, and mergeable across processes as sparse `[bucket, count]` pairs.
 */
export class LatencyHistogram {
  static readonly RESOLUTION_MS = 0.1
  private readonly counts = new Uint32Array(600_000)
  count = 0
  private sum = 0
  maxMs = 0

  record(ms: number): void {
    const v = Math.max(0, ms)
    const i = Math.min(this.counts.length - 1, Math.floor(v / LatencyHistogram.RESOLUTION_MS))
    this.counts[i]!++
    this.count++
    this.sum += v
    if (v > this.maxMs) this.maxMs = v
  }

  toSparse(): { buckets: [number, number][]; count: number; sum: number; maxMs: number } {
    const buckets: [number, number][] = []
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!])
    return { buckets, count: this.count, sum: this.sum, maxMs: this.maxMs }
  }

  merge(sparse: ReturnType<LatencyHistogram['toSparse']>): void {
    for (const [i, c] of sparse.buckets) this.counts[i]! += c
    this.count += sparse.count
    this.sum += sparse.sum
    this.maxMs = Math.max(this.maxMs, sparse.maxMs)
  }

  /** Upper edge of the bucket holding the p-th percentile. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN
    const rank = Math.ceil((p / 100) * this.count)
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min((i + 1) * LatencyHistogram.RESOLUTION_MS, this.maxMs)
    }
    return this.maxMs
  }

  summary(): Summary {
    return {
      n: this.count,
      mean: this.count ? this.sum / this.count : Number.NaN,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.maxMs,
    }
  }
}

/** A steady clock in epoch milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
