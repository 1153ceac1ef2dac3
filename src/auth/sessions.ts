import type { Role } from '../domain.js'
import { AppError } from '../errors.js'
import type { TokenClaims } from './tokens.js'

/** What a token is checked against: the account's row, or undefined when it is gone. */
export interface SessionSource {
  sessionState(
    userId: string,
  ): Promise<{ role: Role; token_version: number; disabled_at: Date | null } | undefined>
}

type SessionRow = Awaited<ReturnType<SessionSource['sessionState']>>

interface Cached {
  row: SessionRow
  expiresAt: number
}

export interface SessionStats {
  checks: number
  lookups: number
  revoked: number
  cached: number
}

/**
 * Is a signed, unexpired token still a live session? Only if its account exists, is not
 * disabled, still has the token's role and still has the token's version. The answer per account
 * is cached for `cacheMs` (one query per account per few seconds, not per request); a change made
 * in this process drops it at once and tells the account's open WebSockets (`onRevoke`). A change
 * made elsewhere (another instance, SQL) takes effect within `cacheMs`.
 */
export class SessionValidator {
  private readonly cache = new Map<string, Cached>()
  private readonly listeners = new Map<string, Set<(reason: string) => void>>()
  private readonly stats_ = { checks: 0, lookups: 0, revoked: 0 }
  /** Bumped by every revocation: a lookup that raced one is answered but not cached. */
  private generation = 0

  constructor(
    private readonly source: SessionSource,
    private readonly options: { cacheMs: number; now?: () => number; maxEntries?: number },
  ) {}

  get stats(): SessionStats {
    return { ...this.stats_, cached: this.cache.size }
  }

  /** Throws AUTH_TOKEN_EXPIRED or AUTH_TOKEN_REVOKED. */
  async assertCurrent(claims: TokenClaims): Promise<void> {
    this.stats_.checks++
    if (claims.expiresAt <= this.now()) throw new AppError('AUTH_TOKEN_EXPIRED')
    const row = await this.row(claims.id)
    if (
      !row ||
      row.disabled_at !== null ||
      row.role !== claims.role ||
      row.token_version !== claims.tokenVersion
    ) {
      this.stats_.revoked++
      throw new AppError('AUTH_TOKEN_REVOKED')
    }
  }

  /** The account changed in a way that ends its sessions: forget it and close its sockets now. */
  revoked(userId: string): void {
    this.generation++
    this.cache.delete(userId)
    this.notify(userId, 'session revoked')
  }

  /**
   * The account's sessions must stop although its row did not change (UEBA locked it): its open
   * sockets close now with `reason`; its requests are refused by the access plugin's standing check.
   */
  suspended(userId: string, reason: string): void {
    this.notify(userId, reason)
  }

  /** Calls `listener` when `userId`'s sessions end in this process; returns the unsubscribe. */
  onRevoke(userId: string, listener: (reason: string) => void): () => void {
    const set = this.listeners.get(userId) ?? new Set()
    set.add(listener)
    this.listeners.set(userId, set)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.listeners.get(userId) === set) this.listeners.delete(userId)
    }
  }

  private notify(userId: string, reason: string): void {
    for (const listener of [...(this.listeners.get(userId) ?? [])]) listener(reason)
  }

  private async row(userId: string): Promise<SessionRow> {
    const now = this.now()
    const hit = this.cache.get(userId)
    if (hit && hit.expiresAt > now) return hit.row
    const generation = this.generation
    this.stats_.lookups++
    // During a database outage the last known answer stands (a revocation made in this process
    // has dropped it already); with none, the request fails like any other that needs the database.
    const row = await this.source.sessionState(userId).catch((err) => {
      if (hit && generation === this.generation) return hit.row
      throw err
    })
    if (this.options.cacheMs > 0 && generation === this.generation) {
      this.cache.delete(userId)
      if (this.cache.size >= (this.options.maxEntries ?? 50_000)) {
        const oldest = this.cache.keys().next().value
        if (oldest !== undefined) this.cache.delete(oldest)
      }
      this.cache.set(userId, { row, expiresAt: now + this.options.cacheMs })
    }
    return row
  }

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }
}
