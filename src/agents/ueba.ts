import { END } from '@langchain/langgraph'
import type { UebaContext, UebaRepository } from '../db/repositories/ueba.js'
import type { UebaLog } from '../db/schema.js'

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

export const SECURITY_MESSAGE = 'SECURITY: Unauthorized transition blocked'

/** What dashboards show for a blocked attempt of each kind. */
export function securityMessage(actionType: string): string {
  if (actionType === 'write') return 'SECURITY: Unauthorized write blocked'
  if (actionType === 'api_request') return 'SECURITY: Unauthorized request blocked'
  return SECURITY_MESSAGE
}

export interface UebaVerdict {
  allowed: boolean
  log: UebaLog
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
 * The UEBA gate. `checkTransition` is the pure rule; `gate` and `authorizeWrite` check, log the
 * attempt (ALLOWED or BLOCKED) in `ueba_logs`, then tell the listener (which pushes security
 * events to dashboards). Logging comes first: an attempt that cannot be recorded does not pass.
 */
export class UebaAgent {
  constructor(
    private readonly repo: UebaRepository,
    private readonly listener?: UebaListener,
  ) {}

  checkTransition(source: string, target: string): boolean {
    return ALLOWED_TRANSITIONS[source]?.includes(target) ?? false
  }

  checkWrite(agent: string, resource: string): boolean {
    return ALLOWED_WRITES[agent]?.includes(resource) ?? false
  }

  async logAttempt(
    source: string,
    target: string,
    status: 'ALLOWED' | 'BLOCKED',
    context: UebaAttemptContext = {},
    actionType = 'transition',
  ): Promise<UebaLog> {
    const { vin, ...rest } = context
    const log = await this.repo.logUebaAction(source, actionType, status, {
      ...rest,
      sourceNode: label(source),
      targetNode: label(target),
      details: { ...(rest.details ?? {}), ...(vin ? { vin } : {}) },
    })
    this.listener?.onLogged(log, context)
    return log
  }

  /** Checks and logs a graph transition. */
  async gate(source: string, target: string, context: UebaAttemptContext = {}): Promise<UebaVerdict> {
    const allowed = this.checkTransition(source, target)
    const log = await this.logAttempt(source, target, allowed ? 'ALLOWED' : 'BLOCKED', context)
    return { allowed, log }
  }

  /** Checks and logs an agent's write to a resource (e.g. `manufacturing_insights`). */
  async authorizeWrite(
    agent: string,
    resource: string,
    context: UebaAttemptContext = {},
  ): Promise<UebaVerdict> {
    const allowed = this.checkWrite(agent, resource)
    const log = await this.logAttempt(agent, resource, allowed ? 'ALLOWED' : 'BLOCKED', context, 'write')
    return { allowed, log }
  }
}
