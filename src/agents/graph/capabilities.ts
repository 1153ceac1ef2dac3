import type { Repositories } from '../../db/repositories/index.js'
import type { BookingService } from '../../services/booking.service.js'
import type { AgentName, AgentReads, AgentWrites, UebaAgent, UebaAttemptContext } from '../ueba/gate.js'
import type { RCAAgent } from '../workers/rca-agent.js'
import type { SchedulingAgent } from '../workers/scheduling-agent.js'

/** Raw telemetry reads (the ingest's range query). */
export interface TelemetryReader {
  raw(vehicleId: string, from: Date, to: Date, limit: number): Promise<unknown[]>
}

export interface CapabilityDeps {
  repos: Pick<Repositories, 'anomalies' | 'diagnoses' | 'chat' | 'bookings'>
  bookings: BookingService
  scheduling: SchedulingAgent
  rca: RCAAgent
  telemetry?: TelemetryReader
}

/** Every data operation an agent could be given, with the resource it reads or writes. */
const OPERATIONS = {
  readTelemetry: { access: 'read', resource: 'telemetry_logs' },
  createAnomaly: { access: 'write', resource: 'anomaly_events' },
  raiseSeverity: { access: 'write', resource: 'anomaly_events' },
  createDiagnosis: { access: 'write', resource: 'diagnoses' },
  addMessage: { access: 'write', resource: 'chat_messages' },
  setActions: { access: 'write', resource: 'chat_messages' },
  findUpcomingBooking: { access: 'read', resource: 'service_bookings' },
  availableSlots: { access: 'read', resource: 'service_centers' },
  book: { access: 'write', resource: 'service_bookings' },
  analyzeFailure: { access: 'write', resource: 'manufacturing_insights' },
} as const

type Operation = keyof typeof OPERATIONS

function implementations(d: CapabilityDeps) {
  return {
    readTelemetry: (vehicleId: string, from: Date, to: Date, limit: number) => {
      if (!d.telemetry) throw new Error('telemetry reads are not available here')
      return d.telemetry.raw(vehicleId, from, to, limit)
    },
    createAnomaly: d.repos.anomalies.createAnomalyEvent.bind(d.repos.anomalies),
    raiseSeverity: d.repos.anomalies.raiseSeverity.bind(d.repos.anomalies),
    createDiagnosis: d.repos.diagnoses.createDiagnosis.bind(d.repos.diagnoses),
    addMessage: d.repos.chat.addMessage.bind(d.repos.chat),
    setActions: d.repos.chat.setActions.bind(d.repos.chat),
    findUpcomingBooking: d.repos.bookings.findUpcomingForVehicle.bind(d.repos.bookings),
    availableSlots: d.scheduling.checkAvailability.bind(d.scheduling),
    book: d.bookings.book.bind(d.bookings),
    analyzeFailure: d.rca.analyzeFailure.bind(d.rca),
  } satisfies Record<Operation, (...args: never[]) => unknown>
}

type Implementations = ReturnType<typeof implementations>
type Ops = typeof OPERATIONS
type Granted<A extends AgentName> = {
  [K in Operation]: Ops[K]['resource'] extends (Ops[K]['access'] extends 'read'
    ? AgentReads
    : AgentWrites)[A][number]
    ? K
    : never
}[Operation]

/**
 * An agent's data-access handle: only the operations its policy grants (reads and writes),
 * each checked and logged by the UEBA gate before it reaches the database. `invoke` is the
 * by-name door (a tool call an LLM chose): anything outside the grant is refused there, logged
 * BLOCKED, and never runs.
 */
export type AgentHandle<A extends AgentName> = Pick<Implementations, Granted<A>> & {
  invoke(operation: string, ...args: unknown[]): Promise<unknown>
}

/** An operation outside the agent's grant: refused before the database, on record. */
export class CapabilityDeniedError extends Error {
  constructor(
    readonly agent: string,
    readonly operation: string,
    readonly resource: string,
  ) {
    super(`${agent} may not ${operation} (${resource})`)
    this.name = 'CapabilityDeniedError'
  }
}

export class AgentCapabilities {
  private readonly impl: Implementations

  constructor(
    private readonly ueba: UebaAgent,
    deps: CapabilityDeps,
  ) {
    this.impl = implementations(deps)
  }

  /** The operations `agent` may use, for one run (the context goes on every audit row). */
  for<A extends AgentName>(agent: A, context: UebaAttemptContext = {}): AgentHandle<A> {
    const handle: Record<string, unknown> = {}
    const call = async (operation: string, args: unknown[]) => {
      const spec = OPERATIONS[operation as Operation] as Ops[Operation] | undefined
      const resource = spec?.resource ?? operation
      const ctx = { ...context, details: { ...context.details, operation } }
      // An operation nobody has is refused and logged like one outside the grant.
      if (!(await this.ueba.authorize(agent, spec?.access ?? 'invoke', resource, ctx)))
        throw new CapabilityDeniedError(agent, operation, resource)
      const fn = this.impl[operation as Operation] as (...a: unknown[]) => unknown
      return fn(...args)
    }
    for (const [operation, spec] of Object.entries(OPERATIONS)) {
      const granted =
        spec.access === 'read'
          ? this.ueba.checkRead(agent, spec.resource)
          : this.ueba.checkWrite(agent, spec.resource)
      if (granted) handle[operation] = (...args: unknown[]) => call(operation, args)
    }
    handle.invoke = (operation: string, ...args: unknown[]) => call(operation, args)
    return handle as AgentHandle<A>
  }
}
