import type { UebaEntityRow } from '../../db/repositories/ueba-entities.js'
import type { UebaLogEntry } from '../../db/schema.js'
import { type Entity, type EntityView, entityState, entityView, fromRow, newEntity, toRow } from './entity.js'
import { decayed, fallsBelowAt, raise } from './risk.js'
import {
  criticality,
  type EntityKind,
  misused,
  POINTS,
  RESPONSE_REASONS,
  type RuleSubject,
  refusalPoints,
  SEQUENCE_RULES,
  type SeenEvent,
} from './rules.js'
import { judgeVolume, PeerBaselines } from './volume.js'

export type UebaResponse = 'quarantined' | 'stepped_up' | 'locked' | 'throttled'

export interface Thresholds {
  /** An agent at or over it is quarantined until released. Default 70 (High). */
  quarantine: number
  /** A user is slowed down while over it. Default 40 (Moderate). */
  stepUp: number
  /** A user is locked until released. Default 70. */
  lock: number
  /** A device is throttled while over it. Default 40. */
  throttle: number
}

export interface AnalyticsOptions {
  /** The score halves in this time. Default 24 h. */
  halfLifeMs?: number
  /**
   * A device's score halves faster (default 1 h, at most `halfLifeMs`): a flood's throttle should
   * lapse within hours, while an agent's or a user's history weighs for a day.
   */
  deviceHalfLifeMs?: number
  /** Events, and time since first seen, before "first time" activity counts. Defaults 30 and 1 h. */
  warmupEvents?: number
  warmupMs?: number
  /** Active minutes a rate baseline needs before it judges volume. Default 10. */
  warmupMinutes?: number
  thresholds?: Partial<Thresholds>
  /** False: score and report, but take no response (monitor mode). Default true. */
  enforce?: boolean
  now?: () => number
  /** A response took effect: the caller records it and tells staff. */
  onResponse?: (entity: EntityView, response: UebaResponse) => void
}

const RECENT = 16
const MAX_REASONS = 20
const MAX_SEEN = 512

/** Who an audit row is about, in analytics' terms; null for rows it does not track. */
function subjectOf(log: UebaLogEntry): RuleSubject | null {
  const kind = log.actor_kind
  if ((kind !== 'agent' && kind !== 'user' && kind !== 'device') || !log.actor_id) return null
  return { kind, actorId: log.actor_id, label: kind === 'device' ? 'device' : log.agent_name }
}

/**
 * Behaviour analytics per entity (each agent, user and device), fed by the audit stream: rate
 * baselines of every action (per hour of day, after a warm-up), first-time actions and
 * resources, a comparison with the entity's role peers while its own baseline is cold, sequence
 * rules, and a risk score (0-100, decaying) that keeps its reasons. Over a threshold the
 * response follows: an agent quarantined, a user stepped up then locked, a device throttled.
 * All in memory, O(1) per event; `persist` writes what changed.
 */
export class BehaviourAnalytics {
  private readonly entities = new Map<string, Entity>()
  private readonly peers = new PeerBaselines()
  private readonly o: Required<Omit<AnalyticsOptions, 'thresholds' | 'onResponse'>> & {
    thresholds: Thresholds
  }

  constructor(private readonly options: AnalyticsOptions = {}) {
    this.o = {
      halfLifeMs: options.halfLifeMs ?? 24 * 3_600_000,
      deviceHalfLifeMs: Math.min(options.deviceHalfLifeMs ?? 3_600_000, options.halfLifeMs ?? Infinity),
      warmupEvents: options.warmupEvents ?? 30,
      warmupMs: options.warmupMs ?? 3_600_000,
      warmupMinutes: options.warmupMinutes ?? 10,
      enforce: options.enforce ?? true,
      now: options.now ?? Date.now,
      thresholds: { quarantine: 70, stepUp: 40, lock: 70, throttle: 40, ...options.thresholds },
    }
  }

  /** One stored audit row (the gate's `subscribe` stream). Drills are staff's tests, not behaviour. */
  observeLog(log: UebaLogEntry): void {
    const who = subjectOf(log)
    if (!who || log.details?.drill) return
    const vin = log.details?.vin
    this.observe(who, {
      t: log.timestamp.getTime(),
      action: log.action_type,
      resource: log.target_node ?? '',
      status: log.status,
      reason: log.reason,
      vin: typeof vin === 'string' ? vin : null,
      runId: log.run_id,
    })
  }

  /** Readings of a device the intake refused as impossible (out of range, from the future, ...). */
  observeRejectedReadings(vin: string, codes: readonly string[], t = this.o.now()): void {
    const who: RuleSubject = { kind: 'device', actorId: vin, label: 'device' }
    for (const code of codes) {
      this.observe(who, {
        t,
        action: 'reading',
        resource: 'telemetry',
        status: 'BLOCKED',
        reason: code,
        vin,
        runId: null,
      })
    }
  }

  observe(who: RuleSubject, e: SeenEvent): void {
    const entity = this.entity(who, e.t)
    entity.events++
    if (e.t > entity.lastSeen) entity.lastSeen = e.t
    entity.dirty = true
    if (e.reason && RESPONSE_REASONS.has(e.reason)) return
    const before = entity.reasons.length
    const minute = Math.floor(e.t / 60_000)
    const warm = entity.events > this.o.warmupEvents && e.t - entity.firstSeen >= this.o.warmupMs

    const actionKey = `${e.action} ${e.status}`
    if (!entity.actions.has(actionKey) && entity.actions.size < MAX_SEEN) {
      entity.actions.add(actionKey)
      if (warm) this.hit(entity, e, 'first_seen_action', POINTS.firstSeenAction, `first ${actionKey}`)
    }
    if (!entity.resources.has(e.resource) && entity.resources.size < MAX_SEEN) {
      entity.resources.add(e.resource)
      if (warm) this.hit(entity, e, 'first_seen_resource', POINTS.firstSeenResource, `first ${e.resource}`)
    }
    if (e.status === 'BLOCKED') {
      const why = `${e.action} ${e.resource} refused (${e.reason ?? 'policy'})`
      this.hit(entity, e, 'refused', refusalPoints(who.kind, e), why)
    }
    judgeVolume(entity, e, this.peers, this.o.warmupMinutes, (rule, points, detail) =>
      this.hit(entity, e, rule, points, detail),
    )
    for (const rule of SEQUENCE_RULES) {
      if (!rule.kinds.includes(who.kind) || entity.fired.get(rule.id) === minute) continue
      if (!rule.match(e, entity.recent, who)) continue
      entity.fired.set(rule.id, minute)
      this.hit(entity, e, rule.id, rule.points, rule.describe(e))
    }
    entity.recent.push(e)
    if (entity.recent.length > RECENT) entity.recent.shift()
    if (entity.reasons.length !== before) this.respond(entity)
  }

  /** Hot paths (the graph, the auth check, the device intake): one map lookup each. */
  isQuarantined(agent: string): boolean {
    return this.o.enforce && this.entities.get(`agent:${agent}`)?.held === 'quarantined'
  }

  userAccess(userId: string): 'ok' | 'slow' | 'locked' {
    const e = this.o.enforce ? this.entities.get(`user:${userId}`) : undefined
    if (!e) return 'ok'
    if (e.held === 'locked') return 'locked'
    return e.slowedUntil > this.o.now() ? 'slow' : 'ok'
  }

  /** Seconds a throttled device should wait (0: not throttled). */
  throttledFor(vin: string): number {
    const e = this.o.enforce ? this.entities.get(`device:${vin}`) : undefined
    const ms = e ? e.slowedUntil - this.o.now() : 0
    return ms > 0 ? Math.ceil(ms / 1000) : 0
  }

  get(id: string): EntityView | undefined {
    const e = this.entities.get(id)
    return e && entityView(e, this.o.now(), this.halfLife(e))
  }

  /** Entities by risk, highest first. */
  list(filter: { kind?: EntityKind; minScore?: number } = {}): EntityView[] {
    const now = this.o.now()
    const views: EntityView[] = []
    for (const e of this.entities.values()) {
      if (filter.kind && e.kind !== filter.kind) continue
      const view = entityView(e, now, this.halfLife(e))
      if (view.score >= (filter.minScore ?? 0)) views.push(view)
    }
    return views.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
  }

  /** Ends a quarantine, lock, step-up or throttle; the score starts again from 0. */
  release(id: string, by: string): EntityView | undefined {
    const e = this.entities.get(id)
    if (!e) return undefined
    const now = this.o.now()
    e.held = null
    e.slowedUntil = 0
    e.score = { value: 0, at: now }
    e.recent = []
    e.releasedAt = now
    e.releasedBy = by
    e.reasons.push({ at: new Date(now).toISOString(), rule: 'released', points: 0, detail: `by ${by}` })
    if (e.reasons.length > MAX_REASONS) e.reasons.shift()
    e.dirty = true
    return entityView(e, now, this.halfLife(e))
  }

  /** Rows changed since the last call (entities and peer groups), marked clean. */
  takeDirty(): UebaEntityRow[] {
    const rows: UebaEntityRow[] = []
    for (const e of this.entities.values()) {
      if (!e.dirty) continue
      e.dirty = false
      rows.push(toRow(e))
    }
    return rows.concat(this.peers.takeDirty())
  }

  /** Marks rows dirty again (their write failed). */
  markDirty(rows: readonly UebaEntityRow[]): void {
    for (const r of rows) {
      const e = this.entities.get(r.id)
      if (e) e.dirty = true
      else if (r.kind === 'peer_group') this.peers.touch(r.label)
    }
  }

  load(rows: readonly UebaEntityRow[]): void {
    for (const row of rows) {
      if (row.kind === 'peer_group') this.peers.load(row)
      else this.entities.set(row.id, fromRow(row, criticality))
    }
  }

  private entity(who: RuleSubject, t: number): Entity {
    const id = `${who.kind}:${who.actorId}`
    let e = this.entities.get(id)
    if (!e) {
      e = newEntity(who.kind, who.actorId, who.label, criticality(who.kind, who.label), t)
      this.entities.set(id, e)
    } else if (e.label !== who.label && who.kind === 'user') {
      // A changed role: peers and criticality follow it.
      e.label = who.label
      e.criticality = criticality(who.kind, who.label)
    }
    return e
  }

  private halfLife(e: Entity): number {
    return e.kind === 'device' ? this.o.deviceHalfLifeMs : this.o.halfLifeMs
  }

  private hit(entity: Entity, e: SeenEvent, rule: string, base: number, detail: string): void {
    const points = Math.round(base * entity.criticality * 10) / 10
    raise(entity.score, points, e.t, this.halfLife(entity))
    entity.reasons.push({ at: new Date(e.t).toISOString(), rule, points, detail })
    if (entity.reasons.length > MAX_REASONS) entity.reasons.shift()
  }

  private respond(entity: Entity): void {
    if (!this.o.enforce) return
    const th = this.o.thresholds
    const halfLifeMs = this.halfLife(entity)
    const now = this.o.now()
    const score = decayed(entity.score, Math.max(now, entity.score.at), halfLifeMs)
    const before = entityState(entity, now)
    let response: UebaResponse | undefined
    if (entity.kind === 'agent') {
      if (score >= th.quarantine && !entity.held) entity.held = response = 'quarantined'
    } else if (entity.kind === 'user') {
      if (score >= th.lock && !entity.held && misused(entity)) entity.held = response = 'locked'
      else if (score >= th.stepUp) {
        entity.slowedUntil = fallsBelowAt(entity.score, th.stepUp, halfLifeMs)
        if (before === 'active') response = 'stepped_up'
      }
    } else if (score >= th.throttle) {
      entity.slowedUntil = fallsBelowAt(entity.score, th.throttle, halfLifeMs)
      if (before === 'active') response = 'throttled'
    }
    if (response) this.options.onResponse?.(entityView(entity, now, halfLifeMs), response)
  }
}
