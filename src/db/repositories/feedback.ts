import type { Db } from '../client.js'
import type { BookingFeedback } from '../schema.js'

export interface NewFeedback {
  bookingId: string
  userId: string | null
  rating: number
  comment?: string | null
}

export function feedbackRepository(db: Db) {
  return {
    /**
     * Stores an owner's rating of a service. Undefined when the booking already has one: the
     * unique index decides, so two concurrent submissions store exactly one.
     */
    addFeedback(f: NewFeedback): Promise<BookingFeedback | undefined> {
      return db
        .insertInto('booking_feedback')
        .values({
          booking_id: f.bookingId,
          user_id: f.userId,
          rating: f.rating,
          comment: f.comment ?? null,
        })
        .onConflict((oc) => oc.column('booking_id').doNothing())
        .returningAll()
        .executeTakeFirst()
    },

    findForBooking(bookingId: string): Promise<BookingFeedback | undefined> {
      return db
        .selectFrom('booking_feedback')
        .selectAll()
        .where('booking_id', '=', bookingId)
        .executeTakeFirst()
    },
  }
}

export type FeedbackRepository = ReturnType<typeof feedbackRepository>
