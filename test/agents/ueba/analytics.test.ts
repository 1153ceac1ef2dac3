import { describe, expect, it } from 'vitest'
import { BehaviourAnalytics, type UebaResponse } from '../../../src/agents/ueba/analytics.js'
import { investigationPriority, riskBand } from '../../../src/agents/ueba/risk.js'
import type { RuleSubject, SeenEvent } from '../../../src/agents/ueba/rules.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** A Tuesday, 10:00 UTC. */
const NOW = Date.parse('2026-05-05T10:00:00Z')
const scheduling: RuleSubject = { kind: 'agent', actorId: 'scheduling', label: 'scheduling' }
const customer = (id: string): RuleSubject => ({ kind: 'user', actorId: id, label: 'customer' })

function event(t: number, over: Partial<SeenEvent> = {}): SeenEvent {
  return {
    t,
    action: 'write',
    resource: 'service_bookings',
    status: 'ALLOWED',
    reason: null,
    vin: 'VIN0000000000001',
    runId: null,
    ...over,
  }
}

function analytics(now = NOW) {
  const responses: Array<[string, UebaResponse]> = []
  const a = new BehaviourAnalytics({ now: () => now, onResponse: (e, r) => responses.push([e.id, r]) })
  return { a, responses }
}

/** Fourteen days of one booking a minute, for twenty minutes around this hour. */
function history(a: BehaviourAnalytics, who: RuleSubject, over: Partial<SeenEvent> = {}) {
  for (let d = 14; d >= 1; d--)
    for (let m = 0; m < 20; m++) a.observe(who, event(NOW - d * DAY + m * 60_000, over))
}

describe('behaviour analytics', () => {
  it('flags a minute far above the hour’s baseline, and not one at the usual rate', () => {
    const { a, responses } = analytics()
    history(a, scheduling)
    a.observe(scheduling, event(NOW))
    a.observe(scheduling, event(NOW + 1000))
    expect(a.get('agent:scheduling')?.score).toBe(0)
    for (let i = 0; i < 48; i++) a.observe(scheduling, event(NOW + 2000 + i))
    const entity = a.get('agent:scheduling')!
    expect(entity.reasons.map((r) => r.rule)).toEqual(['burst', 'uncommon_volume'])
    expect(entity.reasons[1]!.detail).toMatch(/usually 1\.0\/min at this hour/)
    // Volume (25) and burst (30), weighted for an agent (1.5): over the quarantine threshold.
    expect(entity.score).toBe(82.5)
    expect(entity).toMatchObject({ band: 'High', state: 'quarantined', priority: 9 })
    expect(responses).toEqual([['agent:scheduling', 'quarantined']])
    expect(a.isQuarantined('scheduling')).toBe(true)
  })

  it('counts an agent’s volume per vehicle: one booking each for fifty vehicles is a fleet, not an attack', () => {
    const { a } = analytics()
    history(a, scheduling)
    for (let i = 0; i < 50; i++) a.observe(scheduling, event(NOW + i, { vin: `VIN${i}` }))
    expect(a.get('agent:scheduling')?.score).toBe(0)
  })

  it('notices first-time actions and resources only after the warm-up', () => {
    const { a } = analytics()
    a.observe(scheduling, event(NOW - 2 * HOUR, { action: 'read', resource: 'service_centers' }))
    expect(a.get('agent:scheduling')?.reasons).toEqual([])
    history(a, scheduling)
    a.observe(scheduling, event(NOW, { action: 'delete', resource: 'vehicles' }))
    expect(a.get('agent:scheduling')?.reasons.map((r) => r.rule)).toEqual([
      'first_seen_resource',
      'first_seen_action',
    ])
  })

  it('raises on the problem statement’s sequence: the scheduling agent reads telematics', () => {
    const { a } = analytics()
    const read = { action: 'read', resource: 'telemetry_logs', status: 'BLOCKED' as const }
    a.observe(scheduling, event(NOW, { ...read, reason: 'CAPABILITY_DENIED' }))
    const entity = a.get('agent:scheduling')!
    expect(entity.reasons.map((r) => r.rule).sort()).toEqual(['refused', 'telematics_out_of_role'])
    expect(entity.state).toBe('quarantined')
  })

  it('decays the score with its half-life and moves through the bands', () => {
    const { a } = analytics()
    const probe = (t: number, vin: string) =>
      a.observe(
        customer('u1'),
        event(t, {
          action: 'api_request',
          resource: 'GET /api/vehicles/:vin',
          status: 'BLOCKED',
          reason: 'CROSS_OWNER_PROBE',
          vin,
        }),
      )
    probe(NOW - DAY, 'V1')
    // 12 points a day ago, half-life one day.
    expect(a.get('user:u1')?.score).toBe(6)
    expect(riskBand(6)).toBe('Unknown')
    expect([riskBand(25), riskBand(45), riskBand(75), riskBand(95)]).toEqual([
      'Low',
      'Moderate',
      'High',
      'Critical',
    ])
    expect([
      investigationPriority(0, 1),
      investigationPriority(45, 1),
      investigationPriority(45, 1.5),
    ]).toEqual([0, 5, 6])
  })

  it('steps a user up, then locks them on an enumeration of other owners’ vehicles, until released', () => {
    const { a, responses } = analytics()
    const probe = (i: number) =>
      a.observe(
        customer('u2'),
        event(NOW + i * 1000, {
          action: 'api_request',
          resource: 'GET /api/vehicles/:vin',
          status: 'BLOCKED',
          reason: 'CROSS_OWNER_PROBE',
          vin: `V${i}`,
        }),
      )
    for (let i = 0; i < 3; i++) probe(i)
    expect(a.userAccess('u2')).toBe('slow')
    probe(3)
    probe(4)
    expect(a.get('user:u2')?.reasons.map((r) => r.rule)).toContain('vin_enumeration')
    expect(a.userAccess('u2')).toBe('locked')
    expect(responses).toEqual([
      ['user:u2', 'stepped_up'],
      ['user:u2', 'locked'],
    ])
    // The refusals the lock itself causes do not feed it.
    a.observe(
      customer('u2'),
      event(NOW + 9000, { action: 'api_request', status: 'BLOCKED', reason: 'ACCOUNT_LOCKED' }),
    )
    expect(a.get('user:u2')?.reasons).toHaveLength(7)
    expect(a.release('user:u2', 'user:staff')).toMatchObject({
      state: 'active',
      score: 0,
      released_by: 'user:staff',
    })
    expect(a.userAccess('u2')).toBe('ok')
  })

  it('at most slows a manufacturer provisioning a fleet: volume alone never locks a person out', () => {
    const { a, responses } = analytics()
    const oem: RuleSubject = { kind: 'user', actorId: 'oem', label: 'manufacturer' }
    for (let i = 0; i < 1000; i++)
      a.observe(oem, event(NOW + i * 300, { action: 'create', resource: 'vehicles', vin: null }))
    expect(a.get('user:oem')!.reasons.map((r) => r.rule)).toContain('burst')
    expect(responses.map(([, r]) => r)).not.toContain('locked')
    expect(a.userAccess('oem')).not.toBe('locked')
  })

  it('compares a user with no baseline of their own with their role’s peers', () => {
    const { a } = analytics()
    const refused = {
      action: 'api_request',
      resource: 'GET /api/fleet',
      status: 'BLOCKED' as const,
      reason: 'FORBIDDEN',
    }
    // Ten customers, each refused once a minute on some days: the peers' minute is one refusal.
    for (let u = 0; u < 10; u++)
      for (let m = 0; m < 3; m++)
        a.observe(customer(`p${u}`), event(NOW - DAY + (u * 3 + m) * 60_000, refused))
    for (let i = 0; i < 6; i++) a.observe(customer('new'), event(NOW + i, refused))
    expect(a.get('user:new')?.reasons.map((r) => r.rule)).toContain('uncommon_vs_peers')
  })

  it('throttles a device that floods, and lets it go once the score decays below the threshold', () => {
    const now = { t: NOW }
    const a = new BehaviourAnalytics({ now: () => now.t, halfLifeMs: HOUR })
    const device: RuleSubject = { kind: 'device', actorId: 'VINFLOOD', label: 'device' }
    for (let i = 0; i < 12; i++)
      a.observe(
        device,
        event(NOW + i, {
          action: 'device_auth',
          resource: 'POST /api/v1/telemetry',
          status: 'BLOCKED',
          reason: 'RATE_LIMITED',
        }),
      )
    expect(a.get('device:VINFLOOD')?.state).toBe('throttled')
    expect(a.throttledFor('VINFLOOD')).toBeGreaterThan(0)
    now.t = NOW + 3 * HOUR
    expect(a.throttledFor('VINFLOOD')).toBe(0)
    expect(a.get('device:VINFLOOD')?.state).toBe('active')
  })

  it('keeps baselines, scores and responses through a save and a load', () => {
    const { a } = analytics()
    history(a, scheduling)
    a.observe(
      scheduling,
      event(NOW, {
        action: 'read',
        resource: 'telemetry_logs',
        status: 'BLOCKED',
        reason: 'CAPABILITY_DENIED',
      }),
    )
    const rows = a.takeDirty()
    expect(a.takeDirty()).toEqual([])
    const { a: b } = analytics()
    b.load(JSON.parse(JSON.stringify(rows), (k, v) => (/_at$|_seen$/.test(k) && v ? new Date(v) : v)))
    expect(b.get('agent:scheduling')).toEqual(a.get('agent:scheduling'))
    expect(b.isQuarantined('scheduling')).toBe(true)
    // The loaded baseline judges the next burst as the old one would have.
    b.release('agent:scheduling', 'test')
    for (let i = 0; i < 8; i++) b.observe(scheduling, event(NOW + 60_000 + i))
    expect(b.get('agent:scheduling')?.reasons.at(0)?.rule).toBe('uncommon_volume')
  })
})
