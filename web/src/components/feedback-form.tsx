import { useState } from 'preact/hooks'
import { ApiError, api } from '../lib/api'

/** 1-5 stars and an optional comment for a completed booking. */
export function FeedbackForm({ bookingId }: { bookingId: string }) {
  const [rating, setRating] = useState(0)
  const [comment, setComment] = useState('')
  const [state, setState] = useState<'idle' | 'saving' | 'done'>('idle')
  const [error, setError] = useState<string | null>(null)

  if (state === 'done') return <p class="feedback-done">Thanks for your feedback.</p>

  const submit = async (e: Event) => {
    e.preventDefault()
    if (rating < 1) {
      setError('Choose 1 to 5 stars first')
      return
    }
    setState('saving')
    setError(null)
    try {
      await api(`/api/bookings/${bookingId}/feedback`, {
        method: 'POST',
        body: comment.trim() ? { rating, comment: comment.trim() } : { rating },
      })
      setState('done')
    } catch (err) {
      if (err instanceof ApiError && err.code === 'ALREADY_EXISTS') {
        setState('done')
        return
      }
      setError((err as Error).message)
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
