import type { UebaEntityRow } from '../../db/repositories/ueba-entities.js'
import { type Entity, ratesFromJson, ratesToJson } from './entity.js'
import { countEvent, type Ewma, ewma, fold, highVolumeThreshold, rateBaseline, warmBaseline } from './risk.js'
import { BURST_CEILING, POINTS, type SeenEvent } from './rules.js'

const MAX_RATE_KEYS = 64
/** Below this a minute is never "uncommonly high", whatever the baseline. */
const MIN_VOLUME = 5

export type Hit = (rule: string, points: number, detail: string) => void

/** The rate baselines of each role (all customers, all devices, ...) over its members' minutes. */
export class PeerBaselines {
  private readonly groups = new Map<string, { rates: Map<string, Ewma>; dirty: boolean }>()

  rate(group: string, key: string): Ewma {
    let p = this.groups.get(group)
    if (!p) {
      p = { rates: new Map(), dirty: true }
      this.groups.set(group, p)
    }
    let e = p.rates.get(key)
    if (!e) {
      e = ewma()
      p.rates.set(key, e)
    }
    return e
  }

  touch(group: string): void {
    const p = this.groups.get(group)
    if (p) p.dirty = true
  }

  takeDirty(): UebaEntityRow[] {
    const rows: UebaEntityRow[] = []
    for (const [group, p] of this.groups) {
      if (!p.dirty) continue
      p.dirty = false
      const rates = new Map([...p.rates].map(([k, v]) => [k, { ...rateBaseline(), all: v }]))
      const epoch = new Date(0)
      rows.push({
        id: `peer:${group}`,
        kind: 'peer_group',
        label: group,
        state: 'active',
        score: 0,
        score_at: epoch,
        reasons: [],
        model: { rates: ratesToJson(rates) },
        events: 0,
        first_seen: epoch,
        last_seen: epoch,
        released_at: null,
        released_by: null,
      })
    }
    return rows
  }

  load(row: UebaEntityRow): void {
    const rates = new Map([...ratesFromJson(row.model.rates)].map(([k, b]) => [k, b.all]))
    this.groups.set(row.label, { rates, dirty: false })
  }
}

/**
 * Counts `e` in its entity's rate and judges the minute: a burst over the kind's ceiling, then
 * an uncommonly high volume against the entity's own baseline for this hour of day, or, while
 * that is cold, against its peers'. Each flags once per minute.
 */
export function judgeVolume(
  entity: Entity,
  e: SeenEvent,
  peers: PeerBaselines,
  warmupMinutes: number,
  hit: Hit,
): void {
  const agent = entity.kind === 'agent'
  // An agent's volume is per vehicle: a fleet-wide burst of episodes is not one agent gone rogue.
  const key = agent ? `${e.action} ${e.resource}` : `${e.action} ${e.status}`
  let b = entity.rates.get(key)
  if (!b) {
    if (entity.rates.size >= MAX_RATE_KEYS) return
    b = rateBaseline()
    entity.rates.set(key, b)
  }
  const closed = countEvent(b, e.t, agent ? (e.vin ?? e.runId ?? '-') : undefined)
  // Agents have no peers: each has a role of its own.
  const group = `${entity.kind}:${entity.label}`
  const peer = agent ? undefined : peers.rate(group, key)
  if (peer && closed > 0) {
    fold(peer, closed)
    peers.touch(group)
  }
  if (b.count >= BURST_CEILING[entity.kind] && !(b.flagged & 1)) {
    b.flagged |= 1
    hit('burst', POINTS.burst, `${b.count} × ${key} within a minute`)
  }
  if (b.count < MIN_VOLUME) return
  const own = warmBaseline(b, warmupMinutes)
  if (own) {
    if (b.count > highVolumeThreshold(own) && !(b.flagged & 2)) {
      b.flagged |= 2
      const usual = `usually ${own.mean.toFixed(1)}/min at this hour`
      hit('uncommon_volume', POINTS.uncommonVolume, `${b.count} × ${key} a minute, ${usual}`)
    }
  } else if (peer && peer.n >= warmupMinutes && b.count > highVolumeThreshold(peer) && !(b.flagged & 4)) {
    b.flagged |= 4
    const usual = `its ${entity.label} peers ${peer.mean.toFixed(1)}/min`
    hit('uncommon_vs_peers', POINTS.uncommonVsPeers, `${b.count} × ${key}, ${usual}`)
  }
}
