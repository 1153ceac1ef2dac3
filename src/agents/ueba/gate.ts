import { randomUUID } from 'node:crypto'
import { END } from '@langchain/langgraph'
import { isConnectionError } from '../../db/errors.js'
import type { NewUebaLog, UebaContext, UebaRepository } from '../../db/repositories/ueba.js'
import type { AuditActorKind, UebaLogEntry } from '../../db/schema.js'
import type { UebaStatus } from '../../domain.js'
import { AuditTrail, type AuditTrailOptions, type AuditTrailStats, auditTimestamp } from './audit.js'
import { type AgentGuard, ALLOWED_READS, ALLOWED_TRANSITIONS, ALLOWED_WRITES } from './policy.js'

export {
  type AgentGuard,
  type AgentName,
  type AgentReads,
  type AgentWrites,
  ALLOWED_READS,
  ALLOWED_TRANSITIONS,
  ALLOWED_WRITES,
} from './policy.js'

export interface UebaVerdict {
  allowed: boolean
  log: UebaLogEntry
  /** Resolves when the attempt is stored or spooled: already the case when `gate` returns a blocked one. */
  recorded: Promise<void>
}

export interface UebaListener {
  /** Every logged event, once it is stored or spooled. */
  onLogged(log: UebaLogEntry, context: UebaAttemptContext): void
}

export interface UebaAttemptContext extends Omit<UebaContext, 'sourceNode' | 'targetNode'> {
  vin?: string | null
  requestId?: string | null
}

/** Who did it: an agent (its name), a user (id), a device (VIN), or an anonymous caller (address). */
export interface AuditActor {
  kind: AuditActorKind
  id: string | null
  /** Shown as `agent_name`: the agent's name, the user's role; the kind by default. */
  label?: string
}

/** One security-relevant event, as the API, the intakes and the agents report it. */
export interface AuditEvent extends UebaAttemptContext {
  actor: AuditActor
  /** What was attempted: `transition`, `write`, `api_request`, `login`, `device_auth`, `ws_subscribe`, `admin_action`, ... */
  action: string
  /** What it was attempted on: a node, a table, `POST /api/users`, a topic. */
  resource: string
  decision: UebaStatus
  /** Why it was refused (an error code such as `FORBIDDEN`), or null. */
  reason?: string | null
  /** The node a transition leaves (agents). */
  source?: string | null
}

export interface UebaOptions extends AuditTrailOptions<NewUebaLog> {
  /** HMAC key of the hash chain (AUDIT_CHAIN_KEY). */
  chainKey?: string
}

function label(node: string): string {
  return node === END ? 'END' : node
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what text and jsonb refuse
const NUL = /\u0000/g

/** Strings without NUL (text and jsonb refuse it), at every depth. */
function clean<V>(value: V): V {
  if (typeof value === 'string') return value.replace(NUL, '\uFFFD') as V
  if (Array.isArray(value)) return value.map(clean) as V
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k), clean(v)])) as V
  }
  return value
}

/**
 * The form of a row the database takes whatever its references: ids that are not uuids (a forged
 * claim) are kept as text in `details` instead of their uuid columns.
 */
function storable(row: NewUebaLog, force = false): NewUebaLog {
  const details: Record<string, unknown> = { ...(row.details ?? {}) }
  const out = { ...row }
  for (const key of ['user_id', 'vehicle_id'] as const) {
    const id = row[key]
    if (id != null && (force || !UUID.test(id))) {
      details[`claimed_${key}`] = id
      out[key] = null
    }
  }
  out.agent_name = row.agent_name || row.actor_kind
  out.action_type = row.action_type || 'unknown'
  const changed = Object.keys(details).length !== Object.keys(row.details ?? {}).length
  return clean({ ...out, details: changed ? details : row.details })
}

/**
 * The UEBA gate and the audit log's front door. `checkTransition` is the pure rule; `gate` and
 * `authorizeWrite` check, then record the attempt (ALLOWED or BLOCKED); `record` takes any other
 * security event (refused requests, failed logins, device-auth failures, admin actions). Rows go
 * to `ueba_logs` through a group commit (`AuditTrail`) and the hash chain; listeners hear of each
 * once it is stored or spooled. A blocked attempt is on record before the gate answers; a run
 * awaits `flush()` before it ends, so no run finishes with its trail unsaved.
 */
export class UebaAgent {
  private readonly trail: AuditTrail<NewUebaLog>
  private readonly listeners = new Set<UebaListener['onLogged']>()
  private guard: AgentGuard | undefined

  constructor(
    repo: Pick<UebaRepository, 'insertUebaLogs'>,
    listener?: UebaListener,
    options: UebaOptions = {},
  ) {
    const { chainKey, ...trail } = options
    this.trail = new AuditTrail((rows, { dedupe }) => repo.insertUebaLogs(rows, { key: chainKey, dedupe }), {
      isOutage: isConnectionError,
      sanitize: (row) => storable(row, true),
      ...trail,
    })
    if (listener) this.listeners.add((log, context) => listener.onLogged(log, context))
  }

  get auditStats(): AuditTrailStats {
    return this.trail.stats
  }

  /** Hears of every logged event (UEBA analytics feed from it); returns the unsubscribe. */
  subscribe(listener: UebaListener['onLogged']): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Consulted before each agent node runs; set once analytics exists. */
  useGuard(guard: AgentGuard): void {
    this.guard = guard
  }

  /**
   * May `agent`'s node run now? A quarantined agent's node is refused, with a BLOCKED row on
   * record before the answer; an admitted one leaves no row (its transitions do).
   */
  async admit(agent: string, context: UebaAttemptContext = {}): Promise<boolean> {
    if (!this.guard?.isQuarantined(agent)) return true
    const event = agentEvent(agent, agent, 'BLOCKED', context, 'run')
    await this.record({ ...event, reason: 'QUARANTINED' }).recorded.catch(() => undefined)
    return false
  }

  checkRead(agent: string, resource: string): boolean {
    return ALLOWED_READS[agent]?.includes(resource) ?? false
  }

  /**
   * Checks and logs one data access of an agent's capability handle. An allowed one joins the
   * next group commit (nobody waits); a refused one is on record before the answer.
   */
  async authorize(
    agent: string,
    access: 'read' | 'write' | 'invoke',
    resource: string,
    context: UebaAttemptContext = {},
  ): Promise<boolean> {
    const allowed =
      access === 'read'
        ? this.checkRead(agent, resource)
        : access === 'write' && this.checkWrite(agent, resource)
    return (await this.verdict(allowed, agent, resource, context, access, 'CAPABILITY_DENIED')).allowed
  }

  /** Writes first what an earlier process left in the spool. */
  open(): Promise<void> {
    return this.trail.open()
  }

  /** Resolves when every event recorded so far is stored or spooled. */
  flush(): Promise<void> {
    return this.trail.flush()
  }

  /** Spools what waits (at most `timeoutMs`); resolves with the rows not in the database. */
  close(timeoutMs?: number): Promise<number> {
    return this.trail.close(timeoutMs)
  }

  checkTransition(source: string, target: string): boolean {
    return ALLOWED_TRANSITIONS[source]?.includes(target) ?? false
  }

  checkWrite(agent: string, resource: string): boolean {
    return ALLOWED_WRITES[agent]?.includes(resource) ?? false
  }

  /** Records an agent's attempt and resolves with its row once it is stored or spooled. */
  async logAttempt(
    source: string,
    target: string,
    status: UebaStatus,
    context: UebaAttemptContext = {},
    actionType = 'transition',
  ): Promise<UebaLogEntry> {
    const { log, recorded } = this.record(agentEvent(source, target, status, context, actionType), {
      urgent: true,
    })
    await recorded
    return log
  }

  /** Checks and logs a graph transition. */
  gate(source: string, target: string, context: UebaAttemptContext = {}): Promise<UebaVerdict> {
    return this.verdict(this.checkTransition(source, target), source, target, context, 'transition')
  }

  /** Checks and logs an agent's write to a resource (e.g. `manufacturing_insights`). */
  authorizeWrite(agent: string, resource: string, context: UebaAttemptContext = {}): Promise<UebaVerdict> {
    return this.verdict(this.checkWrite(agent, resource), agent, resource, context, 'write')
  }

  /**
   * Records one event. `urgent` writes it at once (with whatever waits) instead of within the
   * group commit's delay; BLOCKED events are urgent unless told otherwise.
   */
  record(
    event: AuditEvent,
    { urgent }: { urgent?: boolean } = {},
  ): { log: UebaLogEntry; recorded: Promise<void> } {
    const timestamp = auditTimestamp()
    const row = storable({
      id: randomUUID(),
      actor_kind: event.actor.kind,
      actor_id: event.actor.id,
      agent_name: event.actor.label ?? event.actor.kind,
      action_type: event.action,
      status: event.decision,
      source_node: event.source ?? null,
      target_node: event.resource,
      vehicle_id: event.vehicleId ?? null,
      user_id: event.userId ?? null,
      run_id: event.runId ?? null,
      reason: event.reason ?? null,
      request_id: event.requestId ?? null,
      details: { ...(event.details ?? {}), ...(event.vin ? { vin: event.vin } : {}) },
      timestamp,
    })
    const log: UebaLogEntry = { ...row, timestamp: new Date(timestamp) }
    const recorded = this.trail.append(row, { urgent: urgent ?? event.decision === 'BLOCKED' }).then(() => {
      for (const listener of this.listeners) listener(log, event)
    })
    // Not every caller waits; a loss is counted by the trail itself.
    recorded.catch(() => {})
    return { log, recorded }
  }

  private async verdict(
    allowed: boolean,
    source: string,
    target: string,
    context: UebaAttemptContext,
    actionType: string,
    refusal?: string,
  ): Promise<UebaVerdict> {
    const status = allowed ? 'ALLOWED' : 'BLOCKED'
    const event = agentEvent(source, target, status, context, actionType)
    const entry = this.record(allowed || !refusal ? event : { ...event, reason: refusal })
    // The refusal stands whether or not its row could be kept (a loss is counted).
    if (!allowed) await entry.recorded.catch(() => undefined)
    return { allowed, ...entry }
  }
}

function agentEvent(
  source: string,
  target: string,
  status: UebaStatus,
  context: UebaAttemptContext,
  action: string,
): AuditEvent {
  return {
    ...context,
    actor: { kind: 'agent', id: source, label: source },
    action,
    source: label(source),
    resource: label(target),
    decision: status,
  }
}
