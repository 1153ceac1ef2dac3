import { useState } from 'preact/hooks'
import { ApiError, api } from '../lib/api'
import type { Booking, BookingStatus } from '../lib/types'

const LABEL: Record<BookingStatus, string> = {
  CONFIRMED: 'Confirm',
  COMPLETED: 'Complete',
  CANCELLED: 'Cancel',
  PENDING: 'Reopen',
}

/**
 * One button per transition the server allows this caller (`allowed_transitions`), so the UI never
 * offers a move the state machine would refuse. Cancelling asks once more, inline.
 */
export function BookingActions({
  booking,
  onChanged,
}: {
  booking: Booking
  onChanged: (b: Booking) => void
}) {
  const [busy, setBusy] = useState<BookingStatus | null>(null)
  const [armed, setArmed] = useState(false)
  const [error, setError] = useState<string | null>(null)
  // Completing asks what was done: the notes go on the booking and into the vehicle's timeline.
  const [completing, setCompleting] = useState(false)
  const [notes, setNotes] = useState('')

  const move = async (status: BookingStatus) => {
    if (status === 'CANCELLED' && !armed) {
      setArmed(true)
      return
    }
    if (status === 'COMPLETED' && !completing) {
      setCompleting(true)
      return
    }
    setBusy(status)
    setError(null)
    try {
      const body = status === 'COMPLETED' ? { status, notes: notes.trim() } : { status }
      onChanged(await api<Booking>(`/api/bookings/${booking.id}`, { method: 'PATCH', body }))
      setArmed(false)
      setCompleting(false)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'INVALID_TRANSITION') {
        // Someone else moved it first: show what is possible now instead of a dead button.
        const allowed = (err.details as { allowed?: BookingStatus[] } | undefined)?.allowed ?? []
        onChanged({ ...booking, allowed_transitions: allowed })
        setError(`Already changed elsewhere. ${allowed.length ? `Now possible: ${allowed.join(', ')}` : ''}`)
      } else {
        setError((err as Error).message)
      }
    } finally {
      setBusy(null)
    }
  }

  if (booking.allowed_transitions.length === 0) return null
  const notesId = `service-notes-${booking.id}`
  if (completing) {
    return (
      <form
        class="complete-form"
        onSubmit={(e) => {
          e.preventDefault()
          void move('COMPLETED')
        }}
      >
        <label for={notesId}>What was done (required)</label>
        <textarea
          id={notesId}
          class="input"
          rows={3}
          required
          maxLength={2000}
          value={notes}
          onInput={(e) => setNotes(e.currentTarget.value)}
        />
        <div class="row-actions">
          <button
            type="submit"
            class="btn btn-small btn-primary"
            data-confirm="COMPLETED"
            disabled={busy !== null || notes.trim() === ''}
          >
            {busy ? 'Saving…' : 'Mark completed'}
          </button>
          <button type="button" class="btn btn-small btn-ghost" onClick={() => setCompleting(false)}>
            Back
          </button>
        </div>
        {error && (
          <p class="inline-error" role="alert">
            {error}
          </p>
        )}
      </form>
    )
  }
  return (
    <div class="row-actions">
      {booking.allowed_transitions.map((status) => (
        <button
          key={status}
          type="button"
          class={`btn btn-small ${status === 'CANCELLED' ? 'btn-danger-ghost' : 'btn-primary'}`}
          data-transition={status}
          disabled={busy !== null}
          onClick={() => move(status)}
        >
          {busy === status ? 'Saving…' : status === 'CANCELLED' && armed ? 'Confirm cancel' : LABEL[status]}
        </button>
      ))}
      {armed && (
        <button type="button" class="btn btn-small btn-ghost" onClick={() => setArmed(false)}>
          Keep
        </button>
      )}
      {error && (
        <p class="inline-error" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}

export function StatusPill({ status }: { status: string }) {
  return <span class={`pill pill-${status.toLowerCase()}`}>{status.toLowerCase()}</span>
}
