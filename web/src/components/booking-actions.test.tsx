// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Booking } from '../lib/types'
import { BookingActions } from './booking-actions'

const booking = { id: 'b1', status: 'CONFIRMED', allowed_transitions: ['COMPLETED', 'CANCELLED'] } as Booking

describe('BookingActions', () => {
  afterEach(() => {
    cleanup()
    vi.unstubAllGlobals()
  })

  it('completes only with notes on the work done, and sends them', async () => {
    const fetch = vi.fn(
      async (_url: string, init: RequestInit) =>
        new Response(
          JSON.stringify({ ...booking, ...JSON.parse(String(init.body)), allowed_transitions: [] }),
          {
            status: 200,
            headers: { 'content-type': 'application/json' },
          },
        ),
    )
    vi.stubGlobal('fetch', fetch)
    const changed = vi.fn()
    render(<BookingActions booking={booking} onChanged={changed} />)
    fireEvent.click(screen.getByRole('button', { name: 'Complete' }))
    // One click no longer completes: it asks what was done first.
    expect(fetch).not.toHaveBeenCalled()
    const confirm = screen.getByRole('button', { name: 'Mark completed' }) as HTMLButtonElement
    expect(confirm.disabled).toBe(true)
    fireEvent.input(screen.getByLabelText('What was done (required)'), { target: { value: ' New pads ' } })
    expect(confirm.disabled).toBe(false)
    fireEvent.click(confirm)
    await waitFor(() => expect(changed).toHaveBeenCalled())
    expect(JSON.parse(String(fetch.mock.calls[0]![1].body))).toEqual({
      status: 'COMPLETED',
      notes: 'New pads',
    })
  })
})
