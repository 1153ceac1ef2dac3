import { SEVERITY_RANK, type Severity } from '../../domain.js'

export interface FlapOptions {
  /** Openings of one vehicle's anomaly type within `windowMs` (reading time) that make it flap. */
  opens: number
  windowMs: number
  /** A flapping episode stays open through short recoveries; it resolves after this long clear. */
  quietMs: number
  /**
   * ... and this long clear in wall time: a replay at no delay covers a day of readings in a
   * fraction of a second, and a flapping episode must not open and resolve rows at that pace.
   */
  quietWallMs: number
}

export const DEFAULT_FLAP: FlapOptions = {
  opens: 3,
  windowMs: 7 * 24 * 3_600_000,
  quietMs: 24 * 3_600_000,
  quietWallMs: 5 * 60_000,
}

interface Series {
  /** Reading times of the latest openings, oldest first (at most `opens`). */
  opens: number[]
  /** The highest severity the owner was told about in this series (-1: none). */
  notifiedRank: number
  /** When the last flapping episode of the series resolved (NaN: none yet). */
  flapEnded: number
}

/**
 * Episodes that open and resolve again and again (a noisy signal hovering at its limit, or rows
 * that are independent draws). Counted in reading time, so a fast replay flaps like a slow one.
 */
export class FlapTracker {
  private readonly series = new Map<string, Series>()
  flagged = 0

  constructor(private readonly opts: FlapOptions = DEFAULT_FLAP) {}

  /** Whether a flapping episode clear since `since` (reading time) and `sinceWall` may resolve. */
  quietEnough(since: number, at: number, sinceWall: number, now: number): boolean {
    return at - since >= this.opts.quietMs && now - sinceWall >= this.opts.quietWallMs
  }

  /** Records an opening at `at` (epoch ms); true when the type now flaps on this vehicle. */
  opened(vehicleId: string, type: string, at: number): boolean {
    const s = this.of(vehicleId, type)
    s.opens.push(at)
    if (s.opens.length > this.opts.opens) s.opens.shift()
    // A flapping episode held open for days leaves old openings: the series still flaps if it
    // opens again within a window of the last flapping one's end.
    const flaps =
      (s.opens.length >= this.opts.opens && at - s.opens[0]! <= this.opts.windowMs) ||
      at - s.flapEnded <= this.opts.windowMs
    if (flaps) this.flagged++
    return flaps
  }

  /** A flapping episode resolved at `at` (epoch ms). */
  ended(vehicleId: string, type: string, at: number): void {
    this.of(vehicleId, type).flapEnded = at
  }

  /** A service closed this type's episode: the series starts again (what came before was fixed). */
  reset(vehicleId: string, type: string): void {
    this.series.delete(`${vehicleId}\u0000${type}`)
  }

  /** Whether the owner should hear of a flapping episode at `severity`: only above what they were told. */
  worthTelling(vehicleId: string, type: string, severity: Severity): boolean {
    return SEVERITY_RANK[severity] > this.of(vehicleId, type).notifiedRank
  }

  told(vehicleId: string, type: string, severity: Severity): void {
    const s = this.of(vehicleId, type)
    s.notifiedRank = Math.max(s.notifiedRank, SEVERITY_RANK[severity])
  }

  private of(vehicleId: string, type: string): Series {
    const key = `${vehicleId}\u0000${type}`
    let s = this.series.get(key)
    if (!s) {
      s = { opens: [], notifiedRank: -1, flapEnded: Number.NaN }
      this.series.set(key, s)
    }
    return s
  }
}

export interface OwnerLimitOptions {
  /** Messages to one vehicle's owner per rolling `windowMs` (wall time); past it, a digest. */
  perWindow: number
  windowMs: number
}

export const DEFAULT_OWNER_LIMIT: OwnerLimitOptions = { perWindow: 4, windowMs: 3_600_000 }

/** An episode the owner was not told about one by one, for the next digest. */
export interface HeldNotice {
  anomalyType: string
  severity: Severity
  headline: string
}

interface Held<V> {
  vehicle: V
  /** Latest notice per anomaly type, and how many were held in all. */
  notices: Map<string, HeldNotice>
  count: number
}

export interface Digest<V> {
  vehicleId: string
  vehicle: V
  notices: HeldNotice[]
  count: number
}

/**
 * Per-vehicle notification limit for owners: at most `perWindow` messages per rolling window;
 * Critical always goes through (and counts). What is held back is summed up in one digest once
 * the window has room again. Memory is bounded: `perWindow` times per vehicle, one notice per type.
 */
export class OwnerBudget<V> {
  private readonly sent = new Map<string, number[]>()
  private readonly held = new Map<string, Held<V>>()
  heldTotal = 0
  digests = 0

  constructor(
    private readonly opts: OwnerLimitOptions = DEFAULT_OWNER_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the owner may be told now; a yes is counted against the window. */
  admit(vehicleId: string, severity: Severity): boolean {
    if (severity !== 'Critical' && !this.hasRoom(vehicleId)) return false
    this.record(vehicleId)
    return true
  }

  hold(vehicleId: string, vehicle: V, notice: HeldNotice): void {
    let h = this.held.get(vehicleId)
    if (!h) {
      h = { vehicle, notices: new Map(), count: 0 }
      this.held.set(vehicleId, h)
    }
    h.notices.set(notice.anomalyType, notice)
    h.count++
    this.heldTotal++
  }

  /** The digests that may go out now (their window has room), each counted as one message. */
  due(): Digest<V>[] {
    const out: Digest<V>[] = []
    for (const [vehicleId, h] of this.held) {
      if (!this.hasRoom(vehicleId)) continue
      this.held.delete(vehicleId)
      this.record(vehicleId)
      this.digests++
      out.push({ vehicleId, vehicle: h.vehicle, notices: [...h.notices.values()], count: h.count })
    }
    return out
  }

  private hasRoom(vehicleId: string): boolean {
    const times = this.sent.get(vehicleId)
    if (!times) return true
    const since = this.now() - this.opts.windowMs
    while (times.length > 0 && times[0]! <= since) times.shift()
    return times.length < this.opts.perWindow
  }

  private record(vehicleId: string): void {
    let times = this.sent.get(vehicleId)
    if (!times) {
      times = []
      this.sent.set(vehicleId, times)
    }
    times.push(this.now())
    // Only the latest `perWindow` matter: the window has room once the oldest of them expires.
    if (times.length > this.opts.perWindow) times.shift()
  }
}
