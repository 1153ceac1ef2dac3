import type { Db } from '../client.js'
import { json } from '../client.js'
import type { ChatMessage } from '../schema.js'

export interface NewChatMessage {
  vehicleId: string
  sender: 'customer' | 'agent'
  content: string
  userId?: string | null
  actions?: unknown[]
  intent?: string | null
  anomalyEventId?: string | null
  bookingId?: string | null
  /** Makes the message once-only: e.g. `alert:<episode>:<severity>` for an episode's alert. */
  dedupeKey?: string | null
}

export function chatRepository(db: Db) {
  const findByDedupeKey = (key: string): Promise<ChatMessage | undefined> =>
    db.selectFrom('chat_messages').selectAll().where('dedupe_key', '=', key).executeTakeFirst()
  /** Stores a message, saying whether this call stored it (false: an earlier one with its `dedupeKey` had). */
  const addMessageOnce = async (m: NewChatMessage): Promise<{ message: ChatMessage; created: boolean }> => {
    const created = await db
      .insertInto('chat_messages')
      .values({
        vehicle_id: m.vehicleId,
        sender: m.sender,
        content: m.content,
        user_id: m.userId ?? null,
        actions: json(m.actions ?? []),
        intent: m.intent ?? null,
        anomaly_event_id: m.anomalyEventId ?? null,
        booking_id: m.bookingId ?? null,
        dedupe_key: m.dedupeKey ?? null,
      })
      .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
      .returningAll()
      .executeTakeFirst()
    if (created) return { message: created, created: true }
    const earlier = await findByDedupeKey(m.dedupeKey ?? '')
    if (!earlier) throw new Error(`chat message ${m.dedupeKey} conflicted but is not there`)
    return { message: earlier, created: false }
  }
  return {
    addMessageOnce,

    /** Stores a message; with a `dedupeKey` a repeated one returns the message stored the first time. */
    async addMessage(m: NewChatMessage): Promise<ChatMessage> {
      return (await addMessageOnce(m)).message
    },

    setActions(id: string, actions: unknown[], bookingId?: string | null): Promise<ChatMessage | undefined> {
      return db
        .updateTable('chat_messages')
        .set({ actions: json(actions), ...(bookingId !== undefined ? { booking_id: bookingId } : {}) })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst()
    },

    findByDedupeKey,

    getMessage(id: string): Promise<ChatMessage | undefined> {
      return db.selectFrom('chat_messages').selectAll().where('id', '=', id).executeTakeFirst()
    },

    /** The conversation about one vehicle, oldest first (the newest `limit`). */
    async listForVehicle(vehicleId: string, limit = 200): Promise<ChatMessage[]> {
      const rows = await db
        .selectFrom('chat_messages')
        .selectAll()
        .where('vehicle_id', '=', vehicleId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return rows.reverse()
    },

    latestAgentMessage(vehicleId: string): Promise<ChatMessage | undefined> {
      return db
        .selectFrom('chat_messages')
        .selectAll()
        .where('vehicle_id', '=', vehicleId)
        .where('sender', '=', 'agent')
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst()
    },
  }
}

export type ChatRepository = ReturnType<typeof chatRepository>
