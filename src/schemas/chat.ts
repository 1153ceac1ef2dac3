import { z } from 'zod'
import type { ChatMessage } from '../db/schema.js'
import { BookingSchema, SlotSchema } from './bookings.js'
import { iso } from './common.js'

export const ChatActionSchema = z.object({
  type: z.enum(['confirm_booking', 'book_slot', 'decline']),
  label: z.string(),
  booking_id: z.uuid().optional(),
  slot_time: z.string().optional(),
  service_center_id: z.uuid().optional(),
})

export const ChatMessageSchema = z
  .object({
    id: z.uuid(),
    vin: z.string(),
    sender: z.enum(['customer', 'agent']),
    content: z.string(),
    intent: z.string().nullable(),
    actions: z.array(ChatActionSchema),
    anomaly_event_id: z.uuid().nullable(),
    booking_id: z.uuid().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'ChatMessage' })

export type ChatMessageDto = z.infer<typeof ChatMessageSchema>

/** One chat turn's answer: the agent's reply, and the slots or booking it offers. */
export const ChatResponseSchema = z
  .object({
    reply: ChatMessageSchema,
    offered_slots: z.array(SlotSchema).optional(),
    booking: BookingSchema.optional(),
  })
  .meta({ id: 'ChatResponse' })

export function toChatDto(row: ChatMessage, vin: string): ChatMessageDto {
  return {
    id: row.id,
    vin,
    sender: row.sender,
    content: row.content,
    intent: row.intent,
    actions: row.actions as ChatMessageDto['actions'],
    anomaly_event_id: row.anomaly_event_id,
    booking_id: row.booking_id,
    created_at: iso(row.created_at),
  }
}
