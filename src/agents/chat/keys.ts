import type { ChatRequest } from './types.js'

/**
 * What a chat turn's Idempotency-Key becomes. The booking service scopes keys by their creator,
 * so the prefix keeps the chat's apart from the bookings API's; a turn's two messages are once per
 * user, vehicle and key.
 */
export function chatIdempotencyKey(key: string): string {
  return `chat:${key}`
}

/** The dedupe keys of a keyed turn's question and reply; none without a key. */
export function turnDedupeKeys(req: ChatRequest): { question: string; reply: string } | null {
  if (!req.idempotencyKey) return null
  const turn = `chat-turn:${req.user.id}:${req.vehicle.id}:${req.idempotencyKey}`
  return { question: `${turn}:question`, reply: `${turn}:reply` }
}
