import { useState } from 'preact/hooks'
import { ApiError, api } from '../lib/api'
import { useAsync } from '../lib/hooks'
import type { Feedback } from '../lib/types'

function Given({ feedback }: { feedback: Pick<Feedback, 'rating' | 'comment'> }) {
  return (
    <p class="feedback-done" data-testid="feedback-given" data-rating={feedback.rating}>
      <span class="stars-given" aria-hidden="true">
        {'★'.repeat(feedback.rating)}
        {'☆'.repeat(5 - feedback.rating)}
      </span>{' '}
      You rated this service {feedback.rating} of 5.
      {feedback.comment ? ` “${feedback.comment}”` : ''} Thanks for your feedback.
    </p>
  )
}

/** 1-5 stars and an optional comment for a completed booking; a rating already given shows as given. */
export function FeedbackForm({ bookingId }: { bookingId: string }) {
  const given = useAsync(
    (signal) => api<{ feedback: Feedback | null }>(`/api/bookings/${bookingId}/feedback`, { signal }),
    [bookingId],
  )
  const [rating, setRating] = useState(0)
  const [comment, setComment] = useState('')
  const [state, setState] = useState<'idle' | 'saving'>('idle')
  const [error, setError] = useState<string | null>(null)

  // Until we know whether it was rated, no form: an empty one would invite a second rating.
  if (given.loading && !given.data) return null
  const saved = given.data?.feedback
  if (saved) return <Given feedback={saved} />

  const submit = async (e: Event) => {
    e.preventDefault()
    if (rating < 1) {
      setError('Choose 1 to 5 stars first')
      return
    }
    setState('saving')
    setError(null)
    try {
      const row = await api<Feedback>(`/api/bookings/${bookingId}/feedback`, {
        method: 'POST',
        body: comment.trim() ? { rating, comment: comment.trim() } : { rating },
      })
      given.setData(() => ({ feedback: row }))
    } catch (err) {
      // Rated already (another tab): show what was stored.
      if (err instanceof ApiError && err.code === 'ALREADY_EXISTS') given.reload()
      else setError((err as Error).message)
    } finally {
      setState('idle')
    }
  }

  return (
    <form class="feedback" onSubmit={submit}>
      <fieldset class="stars">
        <legend>Rate this service</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} class={n <= rating ? 'star on' : 'star'}>
            <input
              type="radio"
              name={`rating-${bookingId}`}
              value={n}
              checked={rating === n}
              onChange={() => setRating(n)}
            />
            <span aria-hidden="true">★</span>
            <span class="visually-hidden">
              {n} star{n > 1 ? 's' : ''}
            </span>
          </label>
        ))}
      </fieldset>
      <label class="visually-hidden" for={`comment-${bookingId}`}>
        Comment
      </label>
      <input
        id={`comment-${bookingId}`}
        class="input"
        maxLength={500}
        placeholder="Anything to add? (optional)"
        value={comment}
        onInput={(e) => setComment(e.currentTarget.value)}
      />
      <button type="submit" class="btn btn-small btn-primary" disabled={state === 'saving'}>
        {state === 'saving' ? 'Sending…' : 'Send feedback'}
      </button>
      {error && (
        <p class="inline-error" role="alert">
          {error}
        </p>
      )}
    </form>
  )
}
