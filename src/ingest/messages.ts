import { z } from 'zod'
import type { BookingView } from '../db/repositories/bookings.js'
import type { ChatMessage, UebaLogEntry } from '../db/schema.js'
import { ANOMALY_STATUSES, type Role, RoleSchema, SeveritySchema, STAFF } from '../domain.js'
import { SignalSchema } from '../schemas/analysis.js'
import { toBookingDto } from '../schemas/booking-dto.js'
import { BookingSchema } from '../schemas/bookings.js'
import { ChatMessageSchema, toChatDto } from '../schemas/chat.js'
import { RulEstimateSchema } from '../schemas/rul.js'
import { TelemetryReadingSchema } from '../schemas/telemetry.js'
import { isDrill, UebaLogSchema, uebaLogDto } from '../schemas/ueba.js'

/**
 * The real-time contract: every message the server sends a WebSocket client is `{type, data}`,
 * and this module is its one definition. Each type maps to the Zod schema of its `data`; the
 * server builds messages only through `messages` (fan-out, through the event bus) and
 * `direct` (to one connection); the dashboard imports its types from here.
 */

export const AlertDataSchema = z.object({
  vin: z.string(),
  /** With the VIN, which of the owner's vehicles it is about. */
  vehicle_model: z.string(),
  anomaly_event_id: z.uuid(),
  anomaly_type: z.string(),
  /** Plain words for the owner ("Battery running hot: 46 °C, limit 45 °C"), from `signals`. */
  headline: z.string(),
  /** The detector's own account (scores, deviations): details for staff. */
  reason: z.string(),
  severity: SeveritySchema,
  diagnosis: z.string(),
  recommended_action: z.string().nullable(),
  /** Remaining useful life, days (the median; null when unknown): the alarm row's `rul_days`. */
  rul: z.number().nullable(),
  /** The whole estimate, as stored on the alarm row (interval, method, the level it counts to). */
  ...RulEstimateSchema.shape,
  signals: z.array(SignalSchema),
  /** The earlier, serviced episode of this vehicle and type that this one repeats (the fix did not hold). */
  repeat_of: z.uuid().nullable(),
  /** A new episode, or an escalation of an open one. */
  trigger: z.enum(['opened', 'escalated', 'manual']),
})

export const AlarmNoticeSchema = z.object({
  id: z.uuid(),
  vin: z.string(),
  status: z.enum(ANOMALY_STATUSES),
  severity: SeveritySchema,
  anomaly_type: z.string(),
  /** The episode keeps opening and resolving: staff are told, the owner is not told again. */
  flapping: z.boolean().optional(),
})

export const SecurityNoticeSchema = z.object({
  message: z.string(),
  source: z.string().nullable(),
  target: z.string().nullable(),
  vin: z.string().nullable(),
  agent: z.string(),
  /** `transition`, `write` or `api_request`. */
  action: z.string(),
  /** A security drill's staged attempt, not an incident: shown as a drill. */
  drill: z.boolean(),
  timestamp: z.string(),
})

/** Messages published on the event bus and fanned out to whoever may see them. */
export const FanOutSchemas = {
  telemetry: TelemetryReadingSchema,
  alert: AlertDataSchema,
  alarm: AlarmNoticeSchema,
  chat: ChatMessageSchema,
  booking: BookingSchema,
  security: SecurityNoticeSchema,
  ueba: UebaLogSchema,
} as const

/** Messages the WebSocket route sends one connection (its greeting and its replies). */
export const DirectSchemas = {
  hello: z.object({
    user: z.object({ id: z.string(), role: RoleSchema }),
    vins: z.union([z.array(z.string()), z.literal('all')]),
  }),
  subscribed: z.object({
    vins: z.union([z.array(z.string()), z.literal('all')]),
    /** The message types this connection receives (besides its direct replies). */
    topics: z.union([z.array(z.string()), z.literal('all')]),
  }),
  error: z.object({ code: z.string(), message: z.string() }),
  pong: z.object({}),
} as const

export const ServerMessageSchemas = { ...FanOutSchemas, ...DirectSchemas } as const

export type FanOutType = keyof typeof FanOutSchemas
/** Every fan-out type: what a connection may narrow its subscription to. */
export const FAN_OUT_TYPES = Object.keys(FanOutSchemas) as FanOutType[]
export type DirectType = keyof typeof DirectSchemas
export type ServerMessageType = keyof typeof ServerMessageSchemas
/** `data` of each server -> client message type. */
export type ServerMessages = { [K in ServerMessageType]: z.infer<(typeof ServerMessageSchemas)[K]> }
export type AlertData = ServerMessages['alert']
export type AlarmNotice = ServerMessages['alarm']
export type SecurityNotice = ServerMessages['security']

/** A fan-out message with who may see it; the WebSocket hub delivers it. */
export interface FleetMessage<T extends FanOutType = FanOutType> {
  type: T
  data: ServerMessages[T]
  /** The vehicle it is about, if any (lets staff narrow their subscription by VIN). */
  vin: string | null
  /** The owner who should receive it, or null for staff-only messages. */
  ownerId: string | null
  /** Staff roles that receive it too. */
  roles: readonly Role[]
  /** `JSON.stringify(data)`, when the publisher has it already: the hub frames it as is. */
  dataJson?: string
}

/** Whose vehicle a message is about. */
export interface Audience {
  vin: string
  ownerId: string | null
}

const MANUFACTURER: readonly Role[] = ['manufacturer']
const SERVICE: readonly Role[] = ['service']
const OWNER_ONLY: readonly Role[] = []

/** What a run blocked by the UEBA gate ends with, and what staff are told. */
export const SECURITY_MESSAGE = 'SECURITY: Unauthorized transition blocked'

const SECURITY_TEXT: Record<string, string> = {
  transition: SECURITY_MESSAGE,
  write: 'SECURITY: Unauthorized write blocked',
  api_request: 'SECURITY: Unauthorized request blocked',
  read: 'SECURITY: Unauthorized read blocked',
  run: 'SECURITY: Quarantined agent refused',
  ueba_response: 'SECURITY: Risk threshold crossed; response taken',
}

/** The one builder of each fan-out message: its shape and its audience. */
export const messages = {
  /** A reading: to its owner and all staff. `json` is the reading serialized once, reused by the hub. */
  telemetry(reading: ServerMessages['telemetry'], ownerId: string | null, json?: string) {
    return fanOut('telemetry', reading, { vin: reading.vin, ownerId }, STAFF, json)
  },
  /** An episode's diagnosis: to the owner and all staff. */
  alert(data: AlertData, ownerId: string | null) {
    return fanOut('alert', data, { vin: data.vin, ownerId }, STAFF)
  },
  /** An alarm acknowledged or resolved. */
  alarm(data: AlarmNotice, ownerId: string | null) {
    return fanOut('alarm', data, { vin: data.vin, ownerId }, STAFF)
  },
  /** A data-quality alarm opened or resolved: to staff only, never to the vehicle's owner. */
  dataQuality(data: AlarmNotice) {
    return fanOut('alarm', data, { vin: data.vin, ownerId: null }, STAFF)
  },
  /** A chat message: to the owner's dashboards only; staff read conversations through the API. */
  chat(row: ChatMessage, vehicle: Audience) {
    return fanOut('chat', toChatDto(row, vehicle.vin), vehicle, OWNER_ONLY)
  },
  /** A new or changed booking: to its owner and the service desk. */
  booking(row: BookingView) {
    return fanOut('booking', toBookingDto(row, null), { vin: row.vin, ownerId: row.owner_id }, SERVICE)
  },
  /** Every UEBA decision, for the manufacturer's security view. */
  ueba(log: UebaLogEntry, vin: string | null) {
    return fanOut('ueba', uebaLogDto(log, vin), vin ? { vin, ownerId: null } : null, MANUFACTURER)
  },
  /** A blocked attempt, told to all staff in plain words. */
  security(log: UebaLogEntry, vin: string | null) {
    const data: SecurityNotice = {
      message: securityMessage(log.action_type),
      source: log.source_node,
      target: log.target_node,
      vin,
      agent: log.agent_name,
      action: log.action_type,
      drill: isDrill(log),
      timestamp: uebaLogDto(log, vin).timestamp,
    }
    return fanOut('security', data, vin ? { vin, ownerId: null } : null, STAFF)
  },
}

/** The text staff see for a blocked attempt of this kind. */
export function securityMessage(actionType: string): string {
  return SECURITY_TEXT[actionType] ?? SECURITY_MESSAGE
}

/** The one builder of each direct message (the hub frames it). */
export const direct = {
  hello(user: { id: string; role: Role }, vins: string[] | 'all') {
    return { type: 'hello', data: { user: { id: user.id, role: user.role }, vins } } as const
  },
  subscribed(vins: readonly string[], topics: readonly FanOutType[] | null = null) {
    const data = {
      vins: vins.length ? [...vins] : ('all' as const),
      topics: topics ? [...topics] : ('all' as const),
    }
    return { type: 'subscribed', data } as const
  },
  error(code: string, message: string) {
    return { type: 'error', data: { code, message } } as const
  },
  pong() {
    return { type: 'pong', data: {} } as const
  },
} satisfies { [K in DirectType]: (...args: never[]) => { type: K; data: ServerMessages[K] } }

function fanOut<T extends FanOutType>(
  type: T,
  data: ServerMessages[T],
  about: Audience | null,
  roles: readonly Role[],
  dataJson?: string,
): FleetMessage<T> {
  const message: FleetMessage<T> = {
    type,
    data,
    vin: about?.vin ?? null,
    ownerId: about?.ownerId ?? null,
    roles,
  }
  if (dataJson !== undefined) message.dataJson = dataJson
  return message
}
