import type { BookingView } from '../db/repositories/bookings.js'
import type { ChatMessage, Vehicle } from '../db/schema.js'
import type { FleetMessage } from '../ingest/event-bus.js'
import { toBookingDto } from '../schemas/booking-dto.js'
import type { BookingDto } from '../schemas/bookings.js'
import { type ChatMessageDto, toChatDto } from '../schemas/chat.js'

/**
 * The real-time messages the booking services publish, one builder per type, so a new message
 * contract replaces them here and nowhere else.
 */

export type Recipient = Pick<Vehicle, 'vin' | 'owner_id'>

/** A new or changed booking: to its owner and to the service desk. */
export function bookingMessage(row: BookingView): FleetMessage<'booking', BookingDto> {
  return {
    type: 'booking',
    data: toBookingDto(row, null),
    vin: row.vin,
    ownerId: row.owner_id,
    roles: ['service'],
  }
}

/** A chat message: to the vehicle's owner (all of their open dashboards); staff do not get it. */
export function chatMessage(row: ChatMessage, vehicle: Recipient): FleetMessage<'chat', ChatMessageDto> {
  return {
    type: 'chat',
    data: toChatDto(row, vehicle.vin),
    vin: vehicle.vin,
    ownerId: vehicle.owner_id,
    roles: [],
  }
}
