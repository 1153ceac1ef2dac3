/**
 * Counts failed credentials (passwords, device tokens) per key: an account, a VIN or a client
 * address. Up to `maxFailures` within the window cost nothing; each failure past that locks the
 * key for twice as long as the one before (1 s, 2 s, 4 s, ... up to `maxLockoutSeconds`), so a
 * person who mistypes is barely slowed while a guesser gets a handful of tries per quarter hour.
 * In memory, per process: with several instances each enforces its own budget.
 */
export interface ThrottleLimits {
  maxFailures: number
  windowSeconds: number
  maxLockoutSeconds: number
}

interface Entry {
  failures: number
  windowStart: number
  lockedUntil: number
}

export interface ThrottleStats {
  tracked: number
  failures: number
  refused: number
}

export class FailureThrottle {
  private readonly entries = new Map<string, Entry>()
  private readonly stats_ = { failures: 0, refused: 0 }

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly options: { now?: () => number; maxKeys?: number } = {},
  ) {}

  get stats(): ThrottleStats {
    return { tracked: this.entries.size, ...this.stats_ }
  }

  /**
   * Seconds until any of `keys` may try again, or undefined when none is locked. A refused try is
   * counted in the stats, not as a failure: it was never checked, so it reveals nothing.
   */
  retryAfter(keys: readonly string[]): number | undefined {
    const now = this.now()
    let wait = 0
    for (const key of keys) {
      const entry = this.entries.get(key)
      if (entry && entry.lockedUntil > now) wait = Math.max(wait, entry.lockedUntil - now)
    }
    if (wait === 0) return undefined
    this.stats_.refused++
    return Math.ceil(wait / 1000)
  }

  /** One failed try for each of `keys`. */
  fail(keys: readonly string[]): void {
    const now = this.now()
    this.stats_.failures++
    for (const key of keys) {
      let entry = this.entries.get(key)
      const expired =
        entry && entry.lockedUntil <= now && now - entry.windowStart > this.limits.windowSeconds * 1000
      if (!entry || expired) {
        this.entries.delete(key)
        this.makeRoom()
        entry = { failures: 0, windowStart: now, lockedUntil: 0 }
      }
      entry.failures++
      const over = entry.failures - this.limits.maxFailures
      if (over > 0) {
        entry.lockedUntil = now + Math.min(2 ** (over - 1), this.limits.maxLockoutSeconds) * 1000
      }
      // Re-inserted so the map's order is least recently failed first (what `makeRoom` drops).
      this.entries.delete(key)
      this.entries.set(key, entry)
    }
  }

  /** A success clears `key` (the account that just signed in), not the address it came from. */
  reset(key: string): void {
    this.entries.delete(key)
  }

  private makeRoom(): void {
    // Bounded, so that a flood of made-up accounts cannot grow memory without end.
    const max = this.options.maxKeys ?? 100_000
    while (this.entries.size >= max) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }
}

/** Who tried: the account (an email, or a unit's VIN) when known, and the client address. */
export interface Attempt {
  account?: string
  address: string
}

/**
 * The one budget of failed credentials, for sign-ins and device tokens alike: per account and per
 * address, each with its own limit. Logins and devices are namespaced apart, so a broken unit
 * behind an address does not lock the people signing in from it, nor the other way round.
 */
export class AuthThrottle {
  private readonly accounts: FailureThrottle
  private readonly addresses: FailureThrottle

  constructor(
    limits: {
      maxFailuresPerAccount: number
      maxFailuresPerAddress: number
      windowSeconds: number
      maxLockoutSeconds: number
    },
    options: { now?: () => number; maxKeys?: number } = {},
  ) {
    const common = { windowSeconds: limits.windowSeconds, maxLockoutSeconds: limits.maxLockoutSeconds }
    this.accounts = new FailureThrottle({ ...common, maxFailures: limits.maxFailuresPerAccount }, options)
    this.addresses = new FailureThrottle({ ...common, maxFailures: limits.maxFailuresPerAddress }, options)
  }

  get stats(): { accounts: ThrottleStats; addresses: ThrottleStats } {
    return { accounts: this.accounts.stats, addresses: this.addresses.stats }
  }

  /** Seconds to wait before this attempt may be checked at all, or undefined. */
  retryAfter(kind: 'login' | 'device', who: Attempt): number | undefined {
    const a = who.account === undefined ? undefined : this.accounts.retryAfter([key(kind, who.account)])
    const b = this.addresses.retryAfter([key(kind, who.address)])
    if (a === undefined) return b
    return b === undefined ? a : Math.max(a, b)
  }

  fail(kind: 'login' | 'device', who: Attempt): void {
    if (who.account !== undefined) this.accounts.fail([key(kind, who.account)])
    this.addresses.fail([key(kind, who.address)])
  }

  /** A good password or token clears its account's count (the address keeps its own). */
  succeed(kind: 'login' | 'device', account: string): void {
    this.accounts.reset(key(kind, account))
  }
}

function key(kind: 'login' | 'device', value: string): string {
  return `${kind}:${value.trim().toLowerCase()}`
}
