import { randomUUID } from 'node:crypto'
import { END } from '@langchain/langgraph'
import type { NewUebaLog, UebaContext, UebaRepository } from '../../db/repositories/ueba.js'
import type { UebaLog } from '../../db/schema.js'
import { AuditTrail, type AuditTrailOptions, type AuditTrailStats, auditTimestamp } from './audit.js'

/** The only transitions an agent run may take (the requirements' table). END is written `END`. */
export const ALLOWED_TRANSITIONS: Readonly<Record<string, readonly string[]>> = {
  data_analysis: ['diagnosis', END],
  diagnosis: ['customer_engagement'],
  customer_engagement: ['scheduling', END],
  scheduling: ['rca', END],
  rca: [END],
}

/**
 * What each agent may write. The customer-facing agent may write the conversation but never
 * manufacturing data; only RCA writes insights.
 */
export const ALLOWED_WRITES: Readonly<Record<string, readonly string[]>> = {
  data_analysis: ['anomaly_events'],
  diagnosis: ['anomaly_events', 'diagnoses'],
  customer_engagement: ['chat_messages'],
  scheduling: ['service_bookings', 'chat_messages'],
  rca: ['manufacturing_insights'],
}

export interface UebaVerdict {
  allowed: boolean
  log: UebaLog
  /** Resolves when the attempt is stored: already the case when `gate` returns a blocked one. */
  recorded: Promise<void>
}

export interface UebaListener {
  /** Every logged attempt, after it is in the database. */
  onLogged(log: UebaLog, context: UebaAttemptContext): void
}

export interface UebaAttemptContext extends Omit<UebaContext, 'sourceNode' | 'targetNode'> {
  vin?: string | null
}

function label(node: string): string {
  return node === END ? 'END' : node
}

/**
 * The UEBA gate. `checkTransition` is the pure rule; `gate` and `authorizeWrite` check, record
 * the attempt (ALLOWED or BLOCKED) in `ueba_logs` through a group commit (`AuditTrail`), then
 * tell the listener (which pushes security events to dashboards) once it is stored. A blocked
 * attempt is stored before the gate answers; an allowed one is stored with the other attempts of
 * the moment, and a run awaits `flush()` before it ends, so no run finishes with its trail unsaved.
 */
export class UebaAgent {
  private readonly trail: AuditTrail<NewUebaLog>

  constructor(
    repo: Pick<UebaRepository, 'insertUebaLogs'>,
    private readonly listener?: UebaListener,
    options: AuditTrailOptions = {},
  ) {
    this.trail = new AuditTrail((rows) => repo.insertUebaLogs(rows), options)
  }

  get auditStats(): AuditTrailStats {
    return this.trail.stats
  }

  /** Resolves when every attempt recorded so far is stored. */
  flush(): Promise<void> {
    return this.trail.flush()
  }

  checkTransition(source: string, target: string): boolean {
    return ALLOWED_TRANSITIONS[source]?.includes(target) ?? false
  }

  checkWrite(agent: string, resource: string): boolean {
    return ALLOWED_WRITES[agent]?.includes(resource) ?? false
  }

  /** Records an attempt and resolves with its row once it is stored. */
  async logAttempt(
    source: string,
    target: string,
    status: 'ALLOWED' | 'BLOCKED',
    context: UebaAttemptContext = {},
    actionType = 'transition',
  ): Promise<UebaLog> {
    const { log, recorded } = this.record(source, target, status, context, actionType, true)
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

  private async verdict(
    allowed: boolean,
    source: string,
    target: string,
    context: UebaAttemptContext,
    actionType: string,
  ): Promise<UebaVerdict> {
    const entry = this.record(source, target, allowed ? 'ALLOWED' : 'BLOCKED', context, actionType, !allowed)
    if (!allowed) await entry.recorded
    return { allowed, ...entry }
  }

  private record(
    source: string,
    target: string,
    status: 'ALLOWED' | 'BLOCKED',
    context: UebaAttemptContext,
    actionType: string,
    urgent: boolean,
  ): { log: UebaLog; recorded: Promise<void> } {
    const { vin, ...rest } = context
    const timestamp = auditTimestamp()
    const log: UebaLog = {
      id: randomUUID(),
      agent_name: source,
      action_type: actionType,
      status,
      source_node: label(source),
      target_node: label(target),
      vehicle_id: rest.vehicleId ?? null,
      user_id: rest.userId ?? null,
      run_id: rest.runId ?? null,
      details: { ...(rest.details ?? {}), ...(vin ? { vin } : {}) },
      timestamp: new Date(timestamp),
    }
    const row: NewUebaLog = { ...log, timestamp }
    const recorded = this.trail.append(row, { urgent }).then(() => this.listener?.onLogged(log, context))
    // Not every caller waits (allowed transitions); a failure is reported by the trail itself.
    recorded.catch(() => {})
    return { log, recorded }
  }
}
