import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { useSocket, useSocketMessage } from '../../lib/hooks'
import type { Booking, ChatAction, ChatMessage, ChatResponse } from '../../lib/types'
import { friendlyActionError } from './proposals'

/** The agent usually answers in about a second; past this the typing indicator gives up. */
const REPLY_TIMEOUT_MS = 30_000

function upsert(list: ChatMessage[], msg: ChatMessage): ChatMessage[] {
  if (list.some((m) => m.id === msg.id)) return list.map((m) => (m.id === msg.id ? msg : m))
  // The server's copy of a message we showed optimistically replaces the local one.
  if (msg.sender === 'customer') {
    const local = list.findIndex((m) => m.id.startsWith('local-') && m.content === msg.content)
    if (local >= 0) return list.map((m, i) => (i === local ? msg : m))
  }
  return [...list, msg]
}

let localSeq = 0
function localMessage(vin: string, content: string): ChatMessage {
  localSeq += 1
  return {
    id: `local-${localSeq}`,
    vin,
    sender: 'customer',
    content,
    intent: null,
    actions: [],
    anomaly_event_id: null,
    booking_id: null,
    created_at: new Date().toISOString(),
  }
}

export interface ChatState {
  messages: ChatMessage[]
  loading: boolean
  error: string | null
  waiting: boolean
  send: (text: string) => Promise<void>
  act: (message: ChatMessage, action: ChatAction) => Promise<void>
}

/** The conversation about one vehicle: history from the API, live messages from the socket. */
export function useChat(vin: string | null, onBooking: (b: Booking) => void): ChatState {
  const socket = useSocket()
  const [messages, setMessages] = useState<ChatMessage[]>([])
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [waiting, setWaiting] = useState(false)
  const waitTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)

  useEffect(() => {
    setMessages([])
    setError(null)
    if (!vin) return
    const controller = new AbortController()
    setLoading(true)
    api<ChatMessage[]>(`/api/chat/${encodeURIComponent(vin)}`, { signal: controller.signal })
      .then((history) => {
        // Live messages may have arrived during the fetch: merge rather than overwrite.
        setMessages((live) => live.reduce(upsert, history))
      })
      .catch((err: Error) => {
        if (!controller.signal.aborted) setError(`Could not load the conversation: ${err.message}`)
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false)
      })
    return () => controller.abort()
  }, [vin])

  const stopWaiting = useCallback(() => {
    clearTimeout(waitTimer.current)
    setWaiting(false)
  }, [])
  useEffect(() => stopWaiting, [stopWaiting])

  useSocketMessage('chat', (msg) => {
    if (msg.vin !== vin) return
    setMessages((list) => upsert(list, msg))
    if (msg.sender === 'agent') stopWaiting()
  })
  useSocketMessage('error', (e) => {
    stopWaiting()
    setError(e.message)
  })

  const send = useCallback(
    async (text: string) => {
      if (!vin) return
      setError(null)
      setMessages((list) => [...list, localMessage(vin, text)])
      setWaiting(true)
      clearTimeout(waitTimer.current)
      waitTimer.current = setTimeout(() => setWaiting(false), REPLY_TIMEOUT_MS)
      if (socket?.chat(vin, text)) return
      // No live connection: the REST endpoint does the same and returns the reply directly.
      try {
        const res = await api<ChatResponse>('/api/chat', { method: 'POST', body: { vin, message: text } })
        setMessages((list) => upsert(list, res.reply))
        if (res.booking) onBooking(res.booking)
      } catch (err) {
        setError(`Not sent: ${(err as Error).message}`)
      } finally {
        stopWaiting()
      }
    },
    [vin, socket, onBooking, stopWaiting],
  )

  const act = useCallback(
    async (message: ChatMessage, action: ChatAction) => {
      if (!vin) return
      if (action.type === 'book_slot') {
        const booking = await api<Booking>('/api/bookings', {
          method: 'POST',
          // The same button pressed twice (double click, retry after a timeout) books once.
          headers: { 'idempotency-key': `chat-${message.id}-${action.slot_time}` },
          body: {
            vin,
            slot_time: action.slot_time,
            service_center_id: action.service_center_id,
            notes: 'Booked from the agent chat',
          },
        }).catch((err: unknown) => {
          throw friendlyActionError(err)
        })
        onBooking(booking)
        setMessages((list) => [...list, localMessage(vin, `Booked: ${action.label}`)])
        return
      }
      if (action.booking_id) {
        const status = action.type === 'confirm_booking' ? 'CONFIRMED' : 'CANCELLED'
        try {
          onBooking(
            await api<Booking>(`/api/bookings/${action.booking_id}`, { method: 'PATCH', body: { status } }),
          )
        } catch (err) {
          // Two alerts can offer the same proposed booking: the second button finds it already handled.
          throw friendlyActionError(err)
        }
        setMessages((list) => [...list, localMessage(vin, action.label)])
        return
      }
      // "Approve service" / "Not now" without a booking yet: answering in the chat lets the agent go on.
      await send(action.label)
    },
    [vin, send, onBooking],
  )

  return { messages, loading, error, waiting, send, act }
}
