/**
 * What counts as an anomaly of behaviour, and how much it weighs. Points are before the
 * entity's criticality; a rule fires at most once per entity and minute.
 */

export type EntityKind = 'agent' | 'user' | 'device'

/** One event as analytics sees it (an audit row, or a device intake's count). */
export interface SeenEvent {
  /** ms since the epoch */
  t: number
  action: string
  resource: string
  status: 'ALLOWED' | 'BLOCKED'
  reason: string | null
  vin: string | null
  runId: string | null
}

export interface RuleSubject {
  kind: EntityKind
  /** Agent name, user id, VIN. */
  actorId: string
  /** Agent name, user role, `device`. */
  label: string
}

export interface SequenceRule {
  id: string
  kinds: readonly EntityKind[]
  points: number
  /** True when `e`, after `recent` (oldest first, `e` not among them), completes the pattern. */
  match(e: SeenEvent, recent: readonly SeenEvent[], who: RuleSubject): boolean
  describe(e: SeenEvent): string
}

const MIN = 60_000

function within(recent: readonly SeenEvent[], e: SeenEvent, ms: number): SeenEvent[] {
  return recent.filter((r) => e.t - r.t <= ms)
}

/** Rules over sequences of one entity's events (the recent ones each entity keeps). */
export const SEQUENCE_RULES: readonly SequenceRule[] = [
  {
    // The problem statement's example: only data analysis reads what the vehicles send.
    id: 'telematics_out_of_role',
    kinds: ['agent'],
    points: 25,
    match: (e, _r, who) =>
      e.action === 'read' && e.resource === 'telemetry_logs' && who.actorId !== 'data_analysis',
    describe: () => 'reads vehicle telematics, which only data analysis reads',
  },
  {
    id: 'retried_after_refusal',
    kinds: ['agent', 'user', 'device'],
    points: 10,
    match: (e, recent) =>
      e.status === 'BLOCKED' &&
      within(recent, e, 5 * MIN).some(
        (r) => r.status === 'BLOCKED' && r.action === e.action && r.resource === e.resource,
      ),
    describe: (e) => `tried ${e.action} ${e.resource} again after a refusal`,
  },
  {
    id: 'vin_enumeration',
    kinds: ['user'],
    points: 25,
    match: (e, recent) => {
      if (e.reason !== 'CROSS_OWNER_PROBE') return false
      const vins = new Set(
        within(recent, e, 10 * MIN)
          .filter((r) => r.reason === 'CROSS_OWNER_PROBE')
          .map((r) => r.vin),
      )
      vins.add(e.vin)
      return vins.size >= 5
    },
    describe: () => "probed five or more other owners' vehicles within ten minutes",
  },
  {
    id: 'admin_after_refusal',
    kinds: ['user'],
    points: 20,
    match: (e, recent) =>
      e.action === 'admin_action' &&
      e.status === 'ALLOWED' &&
      within(recent, e, 10 * MIN).some((r) => r.reason === 'FORBIDDEN'),
    describe: () => 'changed data as an administrator right after being refused a role',
  },
]

/** Points of one refused event, by who and why. */
export function refusalPoints(kind: EntityKind, e: SeenEvent): number {
  // An agent is never refused in normal operation: any refusal is a policy breach.
  if (kind === 'agent') return 30
  // One impossible reading is a faulty sensor; a stream of them is what the burst rule catches.
  if (e.action === 'reading') return 2
  switch (e.reason) {
    case 'CROSS_OWNER_PROBE':
      return 12
    case 'FORBIDDEN':
      // A dashboard calling a route of another role now and then is a bug, not yet an attack.
      return 6
    case 'VEHICLE_NOT_FOUND':
      return 6
    case 'DEVICE_TOKEN_INVALID':
      return 5
    case 'RATE_LIMITED':
      return 3
    default:
      return kind === 'device' ? 8 : 4
  }
}

/** Refusals that are the responses' own doing: they must not feed the score that caused them. */
export const RESPONSE_REASONS: ReadonlySet<string> = new Set([
  'QUARANTINED',
  'ACCOUNT_LOCKED',
  'DEVICE_THROTTLED',
])

export const POINTS = {
  firstSeenAction: 8,
  firstSeenResource: 5,
  uncommonVolume: 25,
  uncommonVsPeers: 15,
  burst: 30,
} as const

/** Per minute, on one key (an agent: on one vehicle): more is a burst, baseline or not. */
export const BURST_CEILING: Readonly<Record<EntityKind, number>> = { agent: 10, user: 30, device: 10 }

/** How much harm the entity can do: weights its points (Elastic's asset criticality). */
export function criticality(kind: EntityKind, label: string): number {
  if (kind === 'agent') return 1.5
  if (kind === 'user') return label === 'manufacturer' ? 1.5 : label === 'service' ? 1.2 : 1
  return 1
}

/**
 * Rules that only say "busier or newer than usual". They may slow a person down, but a lock
 * needs evidence of misuse as well (a refusal, a sequence rule): a manufacturer provisioning a
 * fleet is busy, not hostile, and locking them out is an outage of its own.
 */
const ACTIVITY_ONLY: ReadonlySet<string> = new Set([
  'burst',
  'uncommon_volume',
  'uncommon_vs_peers',
  'first_seen_action',
  'first_seen_resource',
  'released',
])

export function misused(entity: { reasons: readonly { rule: string }[] }): boolean {
  return entity.reasons.some((r) => !ACTIVITY_ONLY.has(r.rule))
}
