import type { ChatMessage } from '../../db/schema.js'
import { AppError } from '../../errors.js'
import { rulOf } from '../../schemas/rul.js'
import { BOOKING_OFFER } from '../workers/engagement-agent.js'
import { approve, decline, pickSlot } from './booking.js'
import { loadContext } from './context.js'
import { type DetectedIntent, detectIntent } from './intents.js'
import { turnDedupeKeys } from './keys.js'
import { offer } from './offers.js'
import { FALLBACK, label, proposal, status } from './texts.js'
import type { Answer, ChatAgentDeps, ChatEnv, ChatRequest, ChatResult, Context } from './types.js'

export type { ChatAgentDeps, ChatRequest, ChatResult } from './types.js'

/**
 * The customer-engagement agent's side of the conversation. Intents are decided by patterns, never
 * by a model; slots come from the scheduling agent and bookings go through the booking service
 * like the API's, so bay conflicts and idempotency keys hold here too. Only the diagnosis explanation may be
 * phrased by the engagement agent's optional chat model.
 */
export class ChatAgent {
  private readonly now: () => Date
  private readonly env: ChatEnv
  constructor(private readonly deps: ChatAgentDeps) {
    this.now = deps.now ?? (() => new Date())
    this.env = { deps, now: this.now }
  }

  async reply(req: ChatRequest): Promise<ChatResult> {
    const { chat } = this.deps.repos
    const detected = detectIntent(req.content)
    const base = { vehicleId: req.vehicle.id, intent: detected.intent }
    // With an idempotency key both messages are stored once: a retry gets the first try's answer.
    const keys = turnDedupeKeys(req)
    const question = await chat.addMessage({
      ...base,
      sender: 'customer',
      userId: req.user.id,
      content: req.content,
      dedupeKey: keys?.question,
    })
    if (keys) {
      if (question.content !== req.content) throw new AppError('IDEMPOTENCY_KEY_REUSED')
      const answered = await chat.findByDedupeKey(keys.reply)
      if (answered) return this.replay(req, question, answered)
    }
    const ctx = await loadContext(this.env, req)
    const answer = await this.answer(detected, ctx)
    const { message: reply, created } = await chat.addMessageOnce({
      ...base,
      sender: 'agent',
      content: answer.content,
      actions: answer.actions ?? [],
      anomalyEventId: ctx.worst?.id ?? null,
      bookingId: answer.bookingId ?? answer.booking?.id ?? null,
      dedupeKey: keys?.reply,
    })
    // A concurrent try (another process) stored its reply first: both answer with that one.
    if (!created) return this.replay(req, question, reply)
    return {
      question,
      reply,
      changed: ctx.changed,
      ...(answer.offered ? { offered_slots: answer.offered } : {}),
      ...(answer.booking ? { booking: answer.booking } : {}),
    }
  }

  /** The turn a retry repeats, as stored: its booking as it is now, nothing changed again. */
  private async replay(req: ChatRequest, question: ChatMessage, reply: ChatMessage): Promise<ChatResult> {
    const booking = reply.booking_id
      ? await this.deps.repos.bookings.findVisible(req.user, reply.booking_id)
      : undefined
    return { question, reply, changed: [], replayed: true, ...(booking ? { booking } : {}) }
  }

  private async answer(d: DetectedIntent, ctx: Context): Promise<Answer> {
    switch (d.intent) {
      case 'help':
        return this.help(ctx)
      case 'approve':
        return approve(this.env, ctx, d.weak === true)
      case 'pick_slot':
        return pickSlot(this.env, ctx, d.pick!)
      case 'decline':
        return decline(this.env, ctx, d.cancel === true)
      case 'status':
        return status(ctx)
      case 'booking':
        if (ctx.confirmed) {
          const b = ctx.confirmed
          return { content: `Your service is confirmed for ${label(ctx, b)}, bay ${b.bay}.`, bookingId: b.id }
        }
        if (ctx.pending) return proposal(ctx, ctx.pending)
        if (ctx.worst) return offer(this.env, ctx, 'You have no upcoming service appointment yet.')
        return {
          content:
            'You have no upcoming service appointment, and nothing needs one right now. Say "book" if you would like one anyway.',
        }
      case 'thanks':
        return { content: 'You are welcome! I am here if you need anything else about your car.' }
      default:
        return { content: `I can help with your ${ctx.req.vehicle.model}: ${FALLBACK}` }
    }
  }

  private async help(ctx: Context): Promise<Answer> {
    const { worst, diagnosis, req } = ctx
    if (!worst) {
      const booked = ctx.confirmed ? ` Your service is booked for ${label(ctx, ctx.confirmed)}.` : ''
      return {
        content: `Good news: there are no open issues on your ${req.vehicle.model}, so there is nothing to do right now.${booked} I will message you here if anything changes.`,
      }
    }
    const phrased = await this.deps.engagement.phraseMessage(
      diagnosis?.diagnosis_text ?? worst.reason ?? worst.anomaly_type,
      worst.severity,
      { vin: req.vehicle.vin, model: req.vehicle.model, rul: rulOf(worst) },
    )
    // The alert's closing question is answered right below, with the slots themselves.
    const explained = phrased.endsWith(BOOKING_OFFER)
      ? phrased.slice(0, -BOOKING_OFFER.length).trim()
      : phrased
    const action = diagnosis?.recommended_action
      ? ` At the service centre: ${diagnosis.recommended_action}`
      : ''
    const more = ctx.open.length > 1 ? ` (${ctx.open.length} issues are open in total.)` : ''
    const text = `${explained} Severity: ${worst.severity}.${action}${more}`
    if (ctx.confirmed) {
      return { content: `${text} Your service is already booked for ${label(ctx, ctx.confirmed)}.` }
    }
    if (ctx.pending) {
      const p = proposal(ctx, ctx.pending)
      return { ...p, content: `${text} ${p.content}` }
    }
    return offer(this.env, ctx, text)
  }
}
