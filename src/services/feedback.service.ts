import type { FastifyBaseLogger } from 'fastify'
import type { BookingView } from '../db/repositories/bookings.js'
import type { Repositories, Viewer } from '../db/repositories/index.js'
import type { BookingFeedback } from '../db/schema.js'
import { AppError } from '../errors.js'
import type { EventBus } from '../ingest/event-bus.js'
import { messages } from '../ingest/messages.js'
import { slotAtCentre } from '../lib/zoned-time.js'

export interface Rating {
  rating: number
  comment?: string
}

export interface FeedbackServiceDeps {
  repos: Pick<Repositories, 'bookings' | 'serviceCenters' | 'chat' | 'feedback'>
  bus: Pick<EventBus, 'publish'>
  log: Pick<FastifyBaseLogger, 'error'>
}

/** The feedback agent: asks the owner to rate a completed service, and takes the rating once. */
export class FeedbackService {
  constructor(private readonly deps: FeedbackServiceDeps) {}

  /**
   * Once a service is COMPLETED, the owner is asked in the chat for a 1-5 rating and a comment.
   * The booking has already changed when this runs, so a failure here is logged rather than
   * turned into an error for the service desk's transition.
   */
  async requestFeedback(booking: BookingView): Promise<void> {
    const { repos, bus, log } = this.deps
    try {
      const when = slotAtCentre(
        booking.appointment_time,
        booking.service_center_timezone,
        booking.service_center_name,
      )
      const message = await repos.chat.addMessage({
        vehicleId: booking.vehicle_id,
        sender: 'agent',
        content:
          `Your ${booking.vehicle_model} has been serviced: ${when}. ` +
          'How did it go? Please rate the service from 1 (poor) to 5 (excellent) and add a comment if you like.',
        intent: 'feedback_request',
        bookingId: booking.id,
        anomalyEventId: booking.anomaly_event_id,
      })
      bus.publish(messages.chat(message, { vin: booking.vin, ownerId: booking.owner_id }))
    } catch (err) {
      log.error({ err, bookingId: booking.id }, 'could not ask for feedback')
    }
  }

  /** The rating given for a booking the caller may see; undefined when none was given yet. */
  async given(user: Viewer, bookingId: string): Promise<BookingFeedback | undefined> {
    const booking = await this.deps.repos.bookings.findVisible(user, bookingId)
    if (!booking) throw new AppError('BOOKING_NOT_FOUND')
    return this.deps.repos.feedback.findForBooking(booking.id)
  }

  /**
   * The owner rates a COMPLETED service of their vehicle, once, and is thanked in the chat.
   * Another owner's booking is BOOKING_NOT_FOUND, like a missing one.
   */
  async rate(user: Viewer, bookingId: string, { rating, comment }: Rating): Promise<BookingFeedback> {
    const { repos, bus } = this.deps
    const booking = await repos.bookings.findVisible(user, bookingId)
    if (!booking) throw new AppError('BOOKING_NOT_FOUND')
    if (booking.status !== 'COMPLETED') {
      throw new AppError(
        'FEEDBACK_NOT_ALLOWED',
        `The booking is ${booking.status}; rate it once it is COMPLETED`,
        { status: booking.status },
      )
    }
    const row = await repos.feedback.addFeedback({
      bookingId: booking.id,
      userId: user.id,
      rating,
      comment: comment || null,
    })
    if (!row) throw new AppError('ALREADY_EXISTS', 'This service has already been rated')
    const thanks = await repos.chat.addMessage({
      vehicleId: booking.vehicle_id,
      sender: 'agent',
      content: `Thank you for rating the service ${rating}/5. Your feedback helps us improve.`,
      intent: 'feedback_thanks',
      bookingId: booking.id,
    })
    bus.publish(messages.chat(thanks, { vin: booking.vin, ownerId: booking.owner_id }))
    return row
  }
}
