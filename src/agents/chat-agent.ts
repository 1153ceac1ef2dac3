import type { z } from 'zod'
import type { BookingView } from '../db/repositories/bookings.js'
import type { Repositories, Viewer } from '../db/repositories/index.js'
import type { AnomalyEvent, BookingStatus, ChatMessage, Diagnosis, Vehicle } from '../db/schema.js'
import { AppError } from '../errors.js'
import { SEVERITY_RANK, type Severity } from '../schemas/analysis.js'
import type { ChatActionSchema } from '../schemas/chat.js'
import { type DetectedIntent, detectIntent, matchesTime, type SlotPick, slotLabel } from './chat-intents.js'
import { BOOKING_OFFER, type CustomerEngagementAgent } from './engagement-agent.js'
import type { SchedulingAgent, Slot } from './scheduling-agent.js'

type ChatAction = z.infer<typeof ChatActionSchema>

export interface ChatAgentDeps {
  repos: Repositories
  scheduling: SchedulingAgent
  engagement: CustomerEngagementAgent
  now?: () => Date
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
}

/** A slot the agent can book or confirm: a free slot, or the time of an existing proposal. */
interface Choice {
  start: string
  service_center_id: string
}

/** What the agent knows about the vehicle when it answers, all read from the database. */
interface Context {
  req: ChatRequest
  open: AnomalyEvent[]
  worst?: AnomalyEvent
  diagnosis?: Diagnosis
  pending?: BookingView
  confirmed?: BookingView
  centers: Map<string, { name: string; timezone: string }>
  history: ChatMessage[]
  /** Bookings changed so far in this turn. */
  changed: BookingView[]
}

interface Answer {
  content: string
  actions?: ChatAction[]
  offered?: Slot[]
  booking?: BookingView
  bookingId?: string | null
}

const OFFER_COUNT = 3
const SEARCH_DAYS = 14
const ASK_AGAIN = 'You can ask me again any time: just say "what should I do?".'
const SAFETY: Record<Severity, string> = {
  Critical: 'Please do not drive it until it has been checked.',
  High: 'You can still drive it carefully, but please have it serviced within the next few days.',
  Medium: 'It is safe to drive; have it checked at your next service.',
  Low: 'It is safe to drive.',
}
const FALLBACK =
  'ask "what should I do?" for advice and the earliest service slots, "is it safe to drive?" for its status, ' +
  'or "when is my appointment?" for your booking. Say "yes" to book or confirm, pick a slot by its time ' +
  '("10:00", "tomorrow 9") or number ("slot 2"), or "no" to decline.'

function label(ctx: Context, c: Choice | BookingView): string {
  const center = ctx.centers.get(c.service_center_id)
  const start = 'appointment_time' in c ? c.appointment_time : c.start
  return `${slotLabel(start, center?.timezone)} at ${center?.name ?? 'the service centre'}`
}

function proposal(ctx: Context, b: BookingView): Answer {
  return {
    content: `I have reserved ${label(ctx, b)} for you: reply "yes" to confirm it, "no" to decline, or name another time.`,
    actions: [
      { type: 'confirm_booking', booking_id: b.id, label: `Approve service on ${label(ctx, b)}` },
      { type: 'decline', booking_id: b.id, label: 'Not now' },
    ],
    bookingId: b.id,
  }
}

/**
 * The slots the agent offered (buttons, or a proposal to confirm). "Yes" answers only the agent's
 * last message; a number ("slot 2") refers to the latest list on the owner's screen.
 */
function lastOffer(ctx: Context, latestOnly: boolean): Choice[] | undefined {
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
 * The customer-engagement agent's side of the conversation. Intents are decided by patterns, never
 * by a model; bookings go through the scheduling agent and the bookings repository like the API's,
 * so bay conflicts and idempotency keys hold here too. Only the diagnosis explanation may be
 * phrased by the engagement agent's optional chat model.
 */
export class ChatAgent {
  private readonly now: () => Date
  constructor(private readonly deps: ChatAgentDeps) {
    this.now = deps.now ?? (() => new Date())
  }

  async reply(req: ChatRequest): Promise<ChatResult> {
    const { chat } = this.deps.repos
    const detected = detectIntent(req.content)
    const base = { vehicleId: req.vehicle.id, intent: detected.intent }
    const question = await chat.addMessage({
      ...base,
      sender: 'customer',
      userId: req.user.id,
      content: req.content,
    })
    const ctx = await this.context(req)
    const answer = await this.answer(detected, ctx)
    const reply = await chat.addMessage({
      ...base,
      sender: 'agent',
      content: answer.content,
      actions: answer.actions ?? [],
      anomalyEventId: ctx.worst?.id ?? null,
      bookingId: answer.bookingId ?? answer.booking?.id ?? null,
    })
    return {
      question,
      reply,
      changed: ctx.changed,
      ...(answer.offered ? { offered_slots: answer.offered } : {}),
      ...(answer.booking ? { booking: answer.booking } : {}),
    }
  }

  private async context(req: ChatRequest): Promise<Context> {
    const { repos } = this.deps
    const [events, live, centers, history] = await Promise.all([
      repos.anomalies.listForVehicle(req.vehicle.id),
      repos.bookings.listVisible(req.user, {
        vehicleId: req.vehicle.id,
        statuses: ['PENDING', 'CONFIRMED'],
        from: this.now(),
      }),
      repos.serviceCenters.listCenters(),
      repos.chat.listForVehicle(req.vehicle.id, 30),
    ])
    // An episode that recovered on its own while a service for it is still booked is not fixed:
    // the cause (a worn part, a latent defect) is still there, so it still needs attention.
    const booked = new Set(live.map((b) => b.anomaly_event_id).filter(Boolean))
    // Newest first from the repository; a stable sort keeps the newest of the worst severity on top.
    const open = events
      .filter((e) => e.status !== 'RESOLVED' || (e.resolution === 'recovered' && booked.has(e.id)))
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
    const worst = open[0]
    return {
      req,
      open,
      worst,
      diagnosis: worst ? (await repos.diagnoses.listForEvent(worst.id))[0] : undefined,
      pending: live.find((b) => b.status === 'PENDING'),
      confirmed: live.find((b) => b.status === 'CONFIRMED'),
      centers: new Map(centers.map((c) => [c.id, { name: c.name, timezone: c.timezone }])),
      history,
      changed: [],
    }
  }

  private async answer(d: DetectedIntent, ctx: Context): Promise<Answer> {
    switch (d.intent) {
      case 'help':
        return this.help(ctx)
      case 'approve':
        return this.approve(ctx, d.weak === true)
      case 'pick_slot':
        return this.pick(ctx, d.pick!)
      case 'decline':
        return this.decline(ctx, d.cancel === true)
      case 'status':
        return this.status(ctx)
      case 'booking':
        if (ctx.confirmed) {
          const b = ctx.confirmed
          return { content: `Your service is confirmed for ${label(ctx, b)}, bay ${b.bay}.`, bookingId: b.id }
        }
        if (ctx.pending) return proposal(ctx, ctx.pending)
        if (ctx.worst) return this.offer(ctx, 'You have no upcoming service appointment yet.')
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
      { vin: req.vehicle.vin, model: req.vehicle.model, rulDays: worst.rul_prediction ?? undefined },
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
    return this.offer(ctx, text)
  }

  /** The earliest free slots as buttons; `skip` leaves out a slot that just failed. */
  private async offer(ctx: Context, intro: string, skip?: string): Promise<Answer> {
    const free = await this.deps.scheduling.checkAvailability(undefined, undefined, {
      days: SEARCH_DAYS,
      limit: OFFER_COUNT + 1,
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

  private async approve(ctx: Context, weak: boolean): Promise<Answer> {
    if (ctx.pending) return this.confirm(ctx, ctx.pending)
    if (ctx.confirmed) return this.alreadyBooked(ctx, ctx.confirmed)
    const offered = lastOffer(ctx, true)
    // A bare "ok" with nothing offered and nothing wrong is agreement, not a request to book.
    if (weak && !offered && !ctx.worst) {
      return {
        content: 'Okay! Nothing needs booking right now. Say "book" if you would like a service slot anyway.',
      }
    }
    const first = offered?.[0] ?? (await this.offer(ctx, '')).offered?.[0]
    if (!first) return this.offer(ctx, 'Sorry, I could not find a slot to book.')
    return this.book(ctx, first)
  }

  private async pick(ctx: Context, pick: SlotPick): Promise<Answer> {
    const offered = lastOffer(ctx, pick.kind !== 'ordinal')
    let choice: Choice | undefined
    if (pick.kind === 'ordinal') {
      const list = offered ?? (await this.offer(ctx, '')).offered ?? []
      choice = list[pick.index]
      if (!choice) return this.offer(ctx, `I cannot find slot ${pick.index + 1}.`)
    } else {
      const free = await this.deps.scheduling.checkAvailability(undefined, undefined, { days: SEARCH_DAYS })
      const all: Choice[] = [...(offered ?? []), ...free]
      if (pick.kind === 'exact') {
        // Not among the free slots: let the scheduling agent say why (taken, off-grid, past).
        choice = all.find((c) => Date.parse(c.start) === pick.at.getTime()) ?? {
          start: pick.at.toISOString(),
          service_center_id: '',
        }
      } else {
        const now = this.now()
        choice = all.find((c) => {
          const tz = ctx.centers.get(c.service_center_id)?.timezone ?? 'UTC'
          return matchesTime(c.start, tz, pick, now)
        })
        if (!choice) return this.offer(ctx, 'Sorry, I could not find a free slot at that time.')
      }
    }
    const { pending, confirmed } = ctx
    const at = Date.parse(choice.start)
    if (pending && pending.appointment_time.getTime() === at) return this.confirm(ctx, pending)
    if (confirmed && confirmed.appointment_time.getTime() === at) return this.alreadyBooked(ctx, confirmed)
    return this.book(ctx, choice)
  }

  /** Books a slot confirmed and cancels the vehicle's other live bookings, so it never holds two. */
  private async book(ctx: Context, c: Choice): Promise<Answer> {
    const { req } = ctx
    let created: Awaited<ReturnType<SchedulingAgent['bookAppointment']>>
    try {
      created = await this.deps.scheduling.bookAppointment(c.start, req.vehicle.id, {
        serviceCenterId: c.service_center_id || undefined,
        source: 'chat',
        status: 'CONFIRMED',
        createdBy: req.user.id,
        idempotencyKey: req.idempotencyKey ? `chat:${req.idempotencyKey}` : null,
        anomalyEventId: ctx.worst?.id ?? null,
        notes: 'Booked in the chat with the Autonoma assistant',
      })
    } catch (err) {
      // A lost race or a stale slot is part of the conversation, not an error for the owner.
      if (!(err instanceof AppError && (err.code === 'SLOT_TAKEN' || err.code === 'SLOT_UNAVAILABLE')))
        throw err
      const why = err.code === 'SLOT_TAKEN' ? 'has just been taken' : 'cannot be booked'
      const what = c.service_center_id ? label(ctx, c) : slotLabel(c.start)
      return this.offer(ctx, `Sorry, ${what} ${why}.`, c.start)
    }
    const cancelled: string[] = []
    for (const old of [ctx.pending, ctx.confirmed]) {
      if (old && old.id !== created.booking.id && (await this.transition(ctx, old, 'CANCELLED'))) {
        cancelled.push(label(ctx, old))
      }
    }
    const booking = await this.deps.repos.bookings.findVisible(req.user, created.booking.id)
    if (!booking) throw new AppError('BOOKING_NOT_FOUND')
    if (!created.replayed) ctx.changed.push(booking)
    const note =
      cancelled.length > 0 ? ` I cancelled the earlier booking for ${cancelled.join(' and ')}.` : ''
    return {
      content: `Done: your service is confirmed for ${label(ctx, booking)}, bay ${booking.bay}.${note} See you there!`,
      booking,
    }
  }

  /** A repeated "yes" (or a retry) answers with the booking the vehicle already has. */
  private alreadyBooked(ctx: Context, booking: BookingView): Answer {
    return { content: `Your service is already confirmed for ${label(ctx, booking)}.`, booking }
  }

  private async confirm(ctx: Context, pending: BookingView): Promise<Answer> {
    const booking = await this.transition(ctx, pending, 'CONFIRMED')
    if (!booking)
      return { content: 'That proposal changed meanwhile; ask "when is my appointment?" to see it.' }
    return { content: `Done: your service is confirmed for ${label(ctx, booking)}. See you there!`, booking }
  }

  /** The PATCH route's transition, made for the owner: undefined when the booking changed meanwhile. */
  private async transition(
    ctx: Context,
    b: BookingView,
    to: BookingStatus,
  ): Promise<BookingView | undefined> {
    const { bookings } = this.deps.repos
    if (!(await bookings.transitionBooking(b.id, b.status, to))) return undefined
    const fresh = await bookings.findVisible(ctx.req.user, b.id)
    if (fresh) ctx.changed.push(fresh)
    return fresh
  }

  private async decline(ctx: Context, cancel: boolean): Promise<Answer> {
    const cancelled: BookingView[] = []
    // "No" turns down a proposal; only an explicit "cancel" also drops a confirmed appointment.
    for (const b of [ctx.pending, cancel ? ctx.confirmed : undefined]) {
      const done = b && (await this.transition(ctx, b, 'CANCELLED'))
      if (done) cancelled.push(done)
    }
    const what =
      cancelled.length > 0
        ? `Okay, I have cancelled the service on ${cancelled.map((b) => label(ctx, b)).join(' and ')}.`
        : 'Okay, I will not book anything.'
    const worst = ctx.worst
    const warn =
      worst && SEVERITY_RANK[worst.severity] >= SEVERITY_RANK.High ? ` ${SAFETY[worst.severity]}` : ''
    return { content: `${what}${warn} ${ASK_AGAIN}`, bookingId: cancelled[0]?.id ?? null }
  }

  private status(ctx: Context): Answer {
    const { worst, diagnosis } = ctx
    const model = ctx.req.vehicle.model
    const booking = ctx.confirmed
      ? ` Your service is booked for ${label(ctx, ctx.confirmed)}.`
      : ctx.pending
        ? ` A service on ${label(ctx, ctx.pending)} is waiting for your approval.`
        : ''
    if (!worst)
      return { content: `Your ${model} looks healthy: there are no open issues right now.${booking}` }
    const what = diagnosis?.diagnosis_text ?? worst.reason ?? worst.anomaly_type
    const n = ctx.open.length
    const days = worst.rul_prediction === null ? undefined : Math.max(0, Math.round(worst.rul_prediction))
    const rul = days === undefined ? '' : ` We estimate about ${days} days before it needs service.`
    return {
      content:
        `Your ${model} has ${n} open issue${n === 1 ? '' : 's'}; the most serious is ${what} (${worst.severity}). ` +
        `${SAFETY[worst.severity]}${rul}${booking || ' Say "what should I do?" to see your options.'}`,
    }
  }
}
