import type { UebaEntityRow } from '../../db/repositories/ueba-entities.js'
import {
  type DecayingScore,
  decayed,
  type Ewma,
  investigationPriority,
  type RateBaseline,
  type RiskBand,
  rateBaseline,
  riskBand,
} from './risk.js'
import type { EntityKind, SeenEvent } from './rules.js'

export type EntityState = 'active' | 'stepped_up' | 'locked' | 'quarantined' | 'throttled'

export interface RiskReason {
  at: string
  rule: string
  /** After criticality; the score is their decayed sum, capped at 100. */
  points: number
  detail: string
}

/** What analytics keeps of one agent, user or device. */
export interface Entity {
  id: string
  kind: EntityKind
  actorId: string
  label: string
  criticality: number
  score: DecayingScore
  reasons: RiskReason[]
  /** A response that only a manufacturer's release ends. */
  held: 'quarantined' | 'locked' | null
  /** Until when a user is stepped up or a device throttled (ms; the score's decay below the threshold). */
  slowedUntil: number
  events: number
  firstSeen: number
  lastSeen: number
  actions: Set<string>
  resources: Set<string>
  rates: Map<string, RateBaseline>
  /** The last events, oldest first, for the sequence rules (not persisted). */
  recent: SeenEvent[]
  /** Rule id -> the minute it last fired. */
  fired: Map<string, number>
  releasedAt: number | null
  releasedBy: string | null
  dirty: boolean
}

export interface EntityView {
  id: string
  kind: EntityKind
  actor_id: string
  label: string
  score: number
  band: RiskBand
  priority: number
  state: EntityState
  reasons: RiskReason[]
  events: number
  first_seen: string
  last_seen: string
  released_at: string | null
  released_by: string | null
}

export function newEntity(kind: EntityKind, actorId: string, label: string, criticality: number, t: number) {
  const entity: Entity = {
    id: `${kind}:${actorId}`,
    kind,
    actorId,
    label,
    criticality,
    score: { value: 0, at: t },
    reasons: [],
    held: null,
    slowedUntil: 0,
    events: 0,
    firstSeen: t,
    lastSeen: t,
    actions: new Set(),
    resources: new Set(),
    rates: new Map(),
    recent: [],
    fired: new Map(),
    releasedAt: null,
    releasedBy: null,
    dirty: true,
  }
  return entity
}

export function entityState(e: Entity, now: number): EntityState {
  if (e.held) return e.held
  if (e.slowedUntil > now) return e.kind === 'device' ? 'throttled' : 'stepped_up'
  return 'active'
}

const iso = (ms: number) => new Date(ms).toISOString()

export function entityView(e: Entity, now: number, halfLifeMs: number): EntityView {
  const score = Math.round(decayed(e.score, now, halfLifeMs) * 10) / 10
  return {
    id: e.id,
    kind: e.kind,
    actor_id: e.actorId,
    label: e.label,
    score,
    band: riskBand(score),
    priority: investigationPriority(score, e.criticality),
    state: entityState(e, now),
    reasons: [...e.reasons].reverse(),
    events: e.events,
    first_seen: iso(e.firstSeen),
    last_seen: iso(e.lastSeen),
    released_at: e.releasedAt === null ? null : iso(e.releasedAt),
    released_by: e.releasedBy,
  }
}

type EwmaTuple = [number, number, number]
const tuple = (e: Ewma): EwmaTuple => [e.mean, e.variance, e.n]
const untuple = ([mean, variance, n]: EwmaTuple): Ewma => ({ mean, variance, n })

/** Baselines as stored: only the hours that have seen something. */
export function ratesToJson(rates: Map<string, RateBaseline>) {
  const out: Record<string, { h: Array<[number, ...EwmaTuple]>; a: EwmaTuple; m: number; c: number }> = {}
  for (const [key, b] of rates) {
    const h: Array<[number, ...EwmaTuple]> = []
    b.hours.forEach((e, hour) => {
      if (e.n > 0) h.push([hour, ...tuple(e)])
    })
    out[key] = { h, a: tuple(b.all), m: b.minute, c: b.count }
  }
  return out
}

export function ratesFromJson(json: unknown): Map<string, RateBaseline> {
  const rates = new Map<string, RateBaseline>()
  for (const [key, raw] of Object.entries((json ?? {}) as ReturnType<typeof ratesToJson>)) {
    const b = rateBaseline()
    for (const [hour, ...e] of raw.h ?? []) b.hours[hour] = untuple(e)
    b.all = untuple(raw.a ?? [0, 0, 0])
    b.minute = raw.m ?? -1
    b.count = raw.c ?? 0
    rates.set(key, b)
  }
  return rates
}

export function toRow(e: Entity): UebaEntityRow {
  return {
    id: e.id,
    kind: e.kind,
    label: e.label,
    state: e.held ?? 'active',
    score: e.score.value,
    score_at: new Date(e.score.at),
    reasons: e.reasons,
    model: {
      actor_id: e.actorId,
      slowed_until: e.slowedUntil,
      actions: [...e.actions],
      resources: [...e.resources],
      rates: ratesToJson(e.rates),
    },
    events: e.events,
    first_seen: new Date(e.firstSeen),
    last_seen: new Date(e.lastSeen),
    released_at: e.releasedAt === null ? null : new Date(e.releasedAt),
    released_by: e.releasedBy,
  }
}

export function fromRow(row: UebaEntityRow, criticality: (kind: EntityKind, label: string) => number) {
  const kind = row.kind as EntityKind
  const model = row.model as {
    actor_id: string
    slowed_until?: number
    actions?: string[]
    resources?: string[]
    rates?: unknown
  }
  const e = newEntity(kind, model.actor_id, row.label, criticality(kind, row.label), row.first_seen.getTime())
  e.score = { value: Number(row.score), at: row.score_at.getTime() }
  e.reasons = (row.reasons as RiskReason[]) ?? []
  e.held = row.state === 'quarantined' || row.state === 'locked' ? row.state : null
  e.slowedUntil = model.slowed_until ?? 0
  e.events = Number(row.events)
  e.lastSeen = row.last_seen.getTime()
  e.actions = new Set(model.actions)
  e.resources = new Set(model.resources)
  e.rates = ratesFromJson(model.rates)
  e.releasedAt = row.released_at?.getTime() ?? null
  e.releasedBy = row.released_by
  e.dirty = false
  return e
}
