/**
 * A token bucket per key: `burst` tokens at most, refilled at `perSecond`. Keys idle long enough
 * to be full again are swept, so the map stays as small as the set of recently busy keys.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private lastSweep: number

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastSweep = now()
  }

  /**
   * Takes `n` tokens for `key` if it has them (0 is returned), else takes none and returns the
   * seconds until it will have them (or until the bucket is full, when `n` exceeds the burst).
   */
  take(key: string, n: number): number {
    const now = this.now()
    this.sweep(now)
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond)
    b.at = now
    this.buckets.set(key, b)
    if (b.tokens >= n) {
      b.tokens -= n
      return 0
    }
    return (Math.min(n, this.burst) - b.tokens) / this.perSecond
  }

  get size(): number {
    return this.buckets.size
  }

  private sweep(now: number): void {
    const fullAfterMs = (this.burst / this.perSecond) * 1000
    if (now - this.lastSweep < Math.max(fullAfterMs, 1000)) return
    this.lastSweep = now
    for (const [key, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(key)
  }
}
