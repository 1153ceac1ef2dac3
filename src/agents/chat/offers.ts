import { label, OFFER_COUNT, SEARCH_DAYS } from './texts.js'
import type { Answer, ChatAction, ChatEnv, Choice, Context } from './types.js'

/**
 * The slots the agent offered (buttons, or a proposal to confirm). "Yes" answers only the agent's
 * last message; a number ("slot 2") refers to the latest list on the owner's screen.
 */
export function lastOffer(ctx: Context, latestOnly: boolean): Choice[] | undefined {
  const agentTurns = ctx.history.filter((m) => m.sender === 'agent').reverse()
  for (const m of latestOnly ? agentTurns.slice(0, 1) : agentTurns) {
    const choices = (m.actions as ChatAction[]).flatMap((a): Choice[] => {
      if (a.type === 'book_slot' && a.slot_time && a.service_center_id) {
        return [{ start: a.slot_time, service_center_id: a.service_center_id }]
      }
      const b = a.type === 'confirm_booking' && ctx.pending?.id === a.booking_id ? ctx.pending : undefined
      return b ? [{ start: b.appointment_time.toISOString(), service_center_id: b.service_center_id }] : []
    })
    if (choices.length > 0) return choices
  }
  return undefined
}

/**
 * The earliest free slots as buttons; `skip` leaves out a slot that just failed. A visit below
 * High (the worst open issue) is offered days the demand forecast does not expect to overload first.
 */
export async function offer(env: ChatEnv, ctx: Context, intro: string, skip?: string): Promise<Answer> {
  const free = await env.deps.scheduling.checkAvailability(undefined, undefined, {
    days: SEARCH_DAYS,
    limit: OFFER_COUNT + 1,
    severity: ctx.worst?.severity ?? 'Low',
  })
  const slots = free.filter((s) => Date.parse(s.start) !== Date.parse(skip ?? '')).slice(0, OFFER_COUNT)
  const lead = intro ? `${intro} ` : ''
  if (slots.length === 0) {
    return { content: `${lead}Sorry, there is no free service slot in the next ${SEARCH_DAYS} days.` }
  }
  const list = slots.map((s, i) => `${i + 1}) ${label(ctx, s)}`).join('; ')
  return {
    content: `${lead}The earliest free slots are: ${list}. Reply "yes" for the first, or pick one by its time or number.`,
    offered: slots,
    actions: [
      ...slots.map((s) => ({
        type: 'book_slot' as const,
        slot_time: s.start,
        service_center_id: s.service_center_id,
        label: label(ctx, s),
      })),
      { type: 'decline', label: 'Not now' },
    ],
  }
}
