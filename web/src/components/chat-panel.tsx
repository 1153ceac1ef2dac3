import type { ComponentChildren } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { formatTime } from '../lib/format'
import type { ChatAction, ChatMessage } from '../lib/types'

export interface ChatPanelProps {
  messages: ChatMessage[]
  /** Between an alert and the agent's first message: the agents are working. */
  analysing?: boolean
  disabled?: boolean
  error?: string | null
  onSend: (text: string) => Promise<void> | void
  onAction: (message: ChatMessage, action: ChatAction) => Promise<void> | void
  suggestions?: string[]
  /** Why an action of an older message can no longer be taken (answered, superseded); null if it can. */
  blocked?: (message: ChatMessage, action: ChatAction) => string | null
  /** Voice controls (read aloud, ask by voice), beside the text box that is always there. */
  voice?: ComponentChildren
}

/** Within this many pixels of the bottom counts as "reading the latest", so new messages scroll in. */
const PIN_SLACK_PX = 48

export function ChatPanel({
  messages,
  analysing = false,
  disabled = false,
  error,
  onSend,
  onAction,
  suggestions = ['What should I do?', 'Is it safe to drive?'],
  blocked,
  voice,
}: ChatPanelProps) {
  const log = useRef<HTMLOListElement>(null)
  const pinned = useRef(true)
  const [draft, setDraft] = useState('')
  const [sending, setSending] = useState(false)
  // Which action of a message was taken: its buttons become a record of the choice, not a second chance.
  const [used, setUsed] = useState<Record<string, number>>({})
  const [busy, setBusy] = useState<string | null>(null)
  const [actionError, setActionError] = useState<Record<string, string>>({})

  // Layout effect: scroll before paint, so a new message never flashes below the fold first.
  useLayoutEffect(() => {
    const el = log.current
    if (el && pinned.current) el.scrollTop = el.scrollHeight
  }, [messages.length, analysing])

  useEffect(() => {
    const el = log.current
    if (!el) return
    const onScroll = () => {
      pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < PIN_SLACK_PX
    }
    el.addEventListener('scroll', onScroll, { passive: true })
    return () => el.removeEventListener('scroll', onScroll)
  }, [])

  const send = async (text: string) => {
    const trimmed = text.trim()
    if (!trimmed || sending) return
    setSending(true)
    pinned.current = true
    try {
      await onSend(trimmed)
      setDraft('')
    } finally {
      setSending(false)
    }
  }

  const act = async (message: ChatMessage, action: ChatAction, index: number) => {
    const key = `${message.id}:${index}`
    setBusy(key)
    setActionError(({ [message.id]: _, ...rest }) => rest)
    try {
      await onAction(message, action)
      setUsed((u) => ({ ...u, [message.id]: index }))
    } catch (err) {
      setActionError((e) => ({ ...e, [message.id]: (err as Error).message || 'That did not work' }))
    } finally {
      setBusy(null)
    }
  }

  return (
    <section class="chat" aria-label="Chat with the maintenance agent">
      <ol
        class="chat-log"
        ref={log}
        aria-live="polite"
        aria-relevant="additions"
        aria-label="Conversation"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region takes focus so a keyboard can scroll it when none of its buttons is enabled (axe: scrollable-region-focusable)
        tabIndex={0}
      >
        {messages.length === 0 && !analysing && (
          <li class="chat-empty">No messages yet. The agent writes here when it notices something.</li>
        )}
        {messages.map((m) => {
          const reasons = (m.actions ?? []).map((a) => blocked?.(m, a) ?? null)
          const why = used[m.id] === undefined ? reasons.find((r) => r !== null) : undefined
          return (
            <li key={m.id} class={`msg msg-${m.sender}`} data-sender={m.sender}>
              <div class="msg-bubble">
                <p class="msg-text">{m.content}</p>
                {m.actions && m.actions.length > 0 && (
                  <div class="msg-actions">
                    {m.actions.map((a, i) => {
                      const chosen = used[m.id]
                      return (
                        <button
                          key={`${a.type}-${i}`}
                          type="button"
                          class={`btn btn-small ${a.type === 'decline' ? 'btn-ghost' : 'btn-primary'}${chosen === i ? ' chosen' : ''}`}
                          data-action={a.type}
                          data-booking-id={'booking_id' in a ? a.booking_id : undefined}
                          disabled={disabled || chosen !== undefined || busy !== null || reasons[i] !== null}
                          aria-pressed={chosen === i}
                          aria-describedby={reasons[i] ? `why-${m.id}` : undefined}
                          onClick={() => act(m, a, i)}
                        >
                          {busy === `${m.id}:${i}` ? 'Working…' : a.label}
                        </button>
                      )
                    })}
                  </div>
                )}
                {why && (
                  <p class="msg-why small muted" id={`why-${m.id}`} data-testid="action-why">
                    {why}
                  </p>
                )}
                {actionError[m.id] && (
                  <p class="msg-error" role="alert">
                    {actionError[m.id]}
                  </p>
                )}
              </div>
              <time class="msg-time" dateTime={m.created_at}>
                {m.sender === 'agent' ? 'Agent' : 'You'} · {formatTime(m.created_at)}
              </time>
            </li>
          )
        })}
        {analysing && (
          <li class="msg msg-agent msg-typing" data-testid="analysing">
            <div class="msg-bubble">
              <span class="typing" aria-hidden="true">
                <span />
                <span />
                <span />
              </span>
              <span>Agents are analysing the readings…</span>
            </div>
          </li>
        )}
      </ol>
      {error && (
        <p class="chat-error" role="alert">
          {error}
        </p>
      )}
      <div class="chat-suggestions">
        {suggestions.map((s) => (
          <button key={s} type="button" class="chip" disabled={disabled || sending} onClick={() => send(s)}>
            {s}
          </button>
        ))}
      </div>
      <form
        class="chat-form"
        onSubmit={(e) => {
          e.preventDefault()
          void send(draft)
        }}
      >
        <label class="visually-hidden" for="chat-input">
          Message the agent
        </label>
        <input
          id="chat-input"
          class="input"
          autocomplete="off"
          maxLength={1000}
          placeholder="Ask the agent…"
          value={draft}
          disabled={disabled}
          onInput={(e) => setDraft(e.currentTarget.value)}
        />
        <button type="submit" class="btn btn-primary" disabled={disabled || sending || !draft.trim()}>
          Send
        </button>
      </form>
      {voice}
    </section>
  )
}
