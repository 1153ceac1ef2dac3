import type { z } from 'zod'
import type { BookingView } from '../../db/repositories/bookings.js'
import type { Repositories, Viewer } from '../../db/repositories/index.js'
import type { AnomalyEvent, ChatMessage, Diagnosis, Vehicle } from '../../db/schema.js'
import type { Slot } from '../../schemas/bookings.js'
import type { ChatActionSchema } from '../../schemas/chat.js'
import type { BookingService } from '../../services/booking.service.js'
import type { CustomerEngagementAgent } from '../workers/engagement-agent.js'
import type { SchedulingAgent } from '../workers/scheduling-agent.js'

/** The shapes the chat agent's modules share: its dependencies, a turn's context and its answer. */

export type ChatAction = z.infer<typeof ChatActionSchema>

export interface ChatAgentDeps {
  repos: Repositories
  scheduling: SchedulingAgent
  bookings: BookingService
  engagement: CustomerEngagementAgent
  now?: () => Date
}

/** The chat agent's dependencies with the clock resolved, as its helper modules receive them. */
export interface ChatEnv {
  deps: ChatAgentDeps
  now: () => Date
}

export interface ChatRequest {
  user: Viewer
  vehicle: Vehicle
  content: string
  /** The client's idempotency key: a retried "yes" books once. */
  idempotencyKey?: string | null
}

export interface ChatResult {
  /** The customer's stored turn. */
  question: ChatMessage
  reply: ChatMessage
  offered_slots?: Slot[]
  booking?: BookingView
  /** Every booking this turn created or changed, for the caller to announce. */
  changed: BookingView[]
  /** A retry with the idempotency key of an answered turn: that turn, stored once, announced once. */
  replayed?: boolean
}

/** A slot the agent can book or confirm: a free slot, or the time of an existing proposal. */
export interface Choice {
  start: string
  service_center_id: string
}

/** What the agent knows about the vehicle when it answers, all read from the database. */
export interface Context {
  req: ChatRequest
  open: AnomalyEvent[]
  worst?: AnomalyEvent
  diagnosis?: Diagnosis
  pending?: BookingView
  confirmed?: BookingView
  /** Every live (PENDING or CONFIRMED, upcoming) booking of the vehicle, soonest first. */
  live: BookingView[]
  centers: Map<string, { name: string; timezone: string }>
  history: ChatMessage[]
  /** The booking an earlier turn with this turn's idempotency key made: a retry answers with it. */
  retried?: BookingView
  /** Bookings changed so far in this turn. */
  changed: BookingView[]
}

export interface Answer {
  content: string
  actions?: ChatAction[]
  offered?: Slot[]
  booking?: BookingView
  bookingId?: string | null
}
