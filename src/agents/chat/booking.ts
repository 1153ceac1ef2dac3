import type { BookingView } from '../../db/repositories/bookings.js'
import { type BookingStatus, SEVERITY_RANK } from '../../domain.js'
import { AppError } from '../../errors.js'
import { slotLabel } from '../../lib/zoned-time.js'
import type { BookResult } from '../../services/booking.service.js'
import { matchesTime, type SlotPick } from './intents.js'
import { chatIdempotencyKey } from './keys.js'
import { lastOffer, offer } from './offers.js'
import { ASK_AGAIN, alreadyBooked, label, SAFETY, SEARCH_DAYS, tooManyBookings } from './texts.js'
import type { Answer, ChatEnv, Choice, Context } from './types.js'

/**
 * The chat's booking actions: approve, pick, book, confirm and decline. Bookings go through the
 * booking service like the API's, so bay conflicts, idempotency keys and role rules hold here too.
 */

export async function approve(env: ChatEnv, ctx: Context, weak: boolean): Promise<Answer> {
  if (ctx.retried) return booked(ctx, ctx.retried)
  if (ctx.pending) return confirm(env, ctx, ctx.pending)
  if (ctx.confirmed) return alreadyBooked(ctx, ctx.confirmed)
  const offered = lastOffer(ctx, true)
  // A bare "ok" with nothing offered and nothing wrong is agreement, not a request to book.
  if (weak && !offered && !ctx.worst) {
    return {
      content: 'Okay! Nothing needs booking right now. Say "book" if you would like a service slot anyway.',
    }
  }
  const first = offered?.[0] ?? (await offer(env, ctx, '')).offered?.[0]
  if (!first) return offer(env, ctx, 'Sorry, I could not find a slot to book.')
  return book(env, ctx, first)
}

export async function pickSlot(env: ChatEnv, ctx: Context, pick: SlotPick): Promise<Answer> {
  if (ctx.retried) return booked(ctx, ctx.retried)
  const offered = lastOffer(ctx, pick.kind !== 'ordinal')
  let choice: Choice | undefined
  if (pick.kind === 'ordinal') {
    const list = offered ?? (await offer(env, ctx, '')).offered ?? []
    choice = list[pick.index]
    if (!choice) return offer(env, ctx, `I cannot find slot ${pick.index + 1}.`)
  } else {
    const free = await env.deps.scheduling.checkAvailability(undefined, undefined, { days: SEARCH_DAYS })
    const all: Choice[] = [...(offered ?? []), ...free]
    if (pick.kind === 'exact') {
      // Not among the free slots: let the booking service say why (taken, off-grid, past).
      choice = all.find((c) => Date.parse(c.start) === pick.at.getTime()) ?? {
        start: pick.at.toISOString(),
        service_center_id: '',
      }
    } else {
      const now = env.now()
      choice = all.find((c) => {
        const tz = ctx.centers.get(c.service_center_id)?.timezone ?? 'UTC'
        return matchesTime(c.start, tz, pick, now)
      })
      if (!choice) return offer(env, ctx, 'Sorry, I could not find a free slot at that time.')
    }
  }
  const { pending, confirmed } = ctx
  const at = Date.parse(choice.start)
  if (pending && pending.appointment_time.getTime() === at) return confirm(env, ctx, pending)
  if (confirmed && confirmed.appointment_time.getTime() === at) return alreadyBooked(ctx, confirmed)
  return book(env, ctx, choice)
}

const CONVERSATIONAL = new Set<string>([
  'SLOT_TAKEN',
  'SLOT_UNAVAILABLE',
  'VEHICLE_ALREADY_BOOKED',
  'TOO_MANY_OPEN_BOOKINGS',
])

/** Books a slot confirmed and cancels the vehicle's other live bookings, so it never holds two. */
export async function book(env: ChatEnv, ctx: Context, c: Choice): Promise<Answer> {
  const { req } = ctx
  let created: BookResult
  try {
    created = await env.deps.bookings.book(c.start, req.vehicle.id, {
      serviceCenterId: c.service_center_id || undefined,
      source: 'chat',
      status: 'CONFIRMED',
      createdBy: req.user.id,
      idempotencyKey: req.idempotencyKey ? chatIdempotencyKey(req.idempotencyKey) : null,
      anomalyEventId: ctx.worst?.id ?? null,
      notes: 'Booked in the chat with the Autonoma assistant',
    })
  } catch (err) {
    // A lost race, a stale slot or a booking limit is part of the conversation, not an error.
    if (!(err instanceof AppError && CONVERSATIONAL.has(err.code))) throw err
    // At the vehicle's limit every other slot fails the same way: say so, offer none.
    if (err.code === 'TOO_MANY_OPEN_BOOKINGS') return tooManyBookings(ctx)
    const why = err.code === 'SLOT_TAKEN' ? 'has just been taken' : 'cannot be booked'
    const what = c.service_center_id ? label(ctx, c) : slotLabel(c.start)
    return offer(env, ctx, `Sorry, ${what} ${why}.`, c.start)
  }
  const cancelled: string[] = []
  for (const old of [ctx.pending, ctx.confirmed]) {
    if (old && old.id !== created.booking.id && (await transition(env, ctx, old, 'CANCELLED'))) {
      cancelled.push(label(ctx, old))
    }
  }
  const booking = await env.deps.repos.bookings.findVisible(req.user, created.booking.id)
  if (!booking) throw new AppError('BOOKING_NOT_FOUND')
  if (!created.replayed) ctx.changed.push(booking)
  return booked(ctx, booking, cancelled)
}

/** The answer to a booking made, by this turn or by the earlier try of a retried one. */
function booked(ctx: Context, booking: BookingView, cancelled: string[] = []): Answer {
  const note = cancelled.length > 0 ? ` I cancelled the earlier booking for ${cancelled.join(' and ')}.` : ''
  return {
    content: `Done: your service is confirmed for ${label(ctx, booking)}, bay ${booking.bay}.${note} See you there!`,
    booking,
  }
}

export async function confirm(env: ChatEnv, ctx: Context, pending: BookingView): Promise<Answer> {
  const booking = await transition(env, ctx, pending, 'CONFIRMED')
  if (!booking)
    return { content: 'That proposal changed meanwhile; ask "when is my appointment?" to see it.' }
  return { content: `Done: your service is confirmed for ${label(ctx, booking)}. See you there!`, booking }
}

/** The owner's transition, remembered for the turn's announcement: undefined when it changed meanwhile. */
async function transition(
  env: ChatEnv,
  ctx: Context,
  b: BookingView,
  to: BookingStatus,
): Promise<BookingView | undefined> {
  const fresh = await env.deps.bookings.transitionIfUnchanged(ctx.req.user, b, to)
  if (fresh) ctx.changed.push(fresh)
  return fresh
}

export async function decline(env: ChatEnv, ctx: Context, cancel: boolean): Promise<Answer> {
  const cancelled: BookingView[] = []
  // "No" turns down a proposal; only an explicit "cancel" also drops a confirmed appointment.
  for (const b of [ctx.pending, cancel ? ctx.confirmed : undefined]) {
    const done = b && (await transition(env, ctx, b, 'CANCELLED'))
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
