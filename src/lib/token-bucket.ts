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
   * seconds until it will have them. More than the burst passes only on a full bucket, which it
   * leaves in debt: the key then waits as if it had sent them at the rate, so the average holds.
   */
  take(key: string, n: number): number {
    const now = this.now()
    this.sweep(now)
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond)
    b.at = now
    this.buckets.set(key, b)
    const needed = Math.min(n, this.burst)
    if (b.tokens >= needed) {
      b.tokens -= n
      return 0
    }
    return (needed - b.tokens) / this.perSecond
  }

  get size(): number {
    return this.buckets.size
  }

  private sweep(now: number): void {
    const fullAfterMs = (this.burst / this.perSecond) * 1000
    if (now - this.lastSweep < Math.max(fullAfterMs, 1000)) return
    this.lastSweep = now
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key)
    }
  }
}
