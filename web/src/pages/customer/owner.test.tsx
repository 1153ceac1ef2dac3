// @vitest-environment happy-dom
import { readFileSync } from 'node:fs'
import { cleanup, render, screen, waitFor } from '@testing-library/preact'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ChatPanel } from '../../components/chat-panel'
import { FeedbackForm } from '../../components/feedback-form'
import { ApiError } from '../../lib/api'
import { fakeSocket } from '../../lib/fake-socket'
import { formatMeasure } from '../../lib/format'
import { SocketContext } from '../../lib/hooks'
import type { Alarm, Booking, ChatMessage } from '../../lib/types'
import { AlertBadge } from './alert-badge'
import { actionBlocked, friendlyActionError, noLongerNeeded } from './proposals'
import { useAlerts } from './use-alerts'

const VIN = '5ATVSA1E3PA230501'

const alarm = (extra: Partial<Alarm> = {}): Alarm =>
  ({
    id: 'e1',
    vin: VIN,
    vehicle_model: 'Autonoma Volt S',
    anomaly_type: 'battery_thermal',
    severity: 'Low',
    status: 'OPEN',
    reason: 'battery_temperature 47.2 > 45',
    signals: [{ signal: 'battery_temperature', value: 47.2, threshold: 45, score: 1, kind: 'threshold' }],
    rul_days: 3,
    rul_low_days: 2,
    rul_high_days: 5,
    rul_method: 'theil-sen',
    diagnoses: [],
    detected_at: '2026-10-01T00:40:00.000Z',
    ...extra,
  }) as Alarm

const booking = (extra: Partial<Booking>): Booking =>
  ({
    id: 'b1',
    vin: VIN,
    status: 'PENDING',
    source: 'agent',
    anomaly_event_id: 'e1',
    appointment_label: 'Fri 4 Dec, 07:00 CET',
    allowed_transitions: ['CONFIRMED', 'CANCELLED'],
    ...extra,
  }) as Booking

const agent = (id: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  vin: VIN,
  sender: 'agent',
  content: 'Your battery is running hot. Shall I book you in?',
  intent: null,
  actions: [
    { type: 'confirm_booking', booking_id: 'b1', label: 'Approve service on Fri 4 Dec, 07:00 CET' },
    { type: 'decline', booking_id: 'b1', label: 'Not now' },
  ],
  anomaly_event_id: 'e1',
  booking_id: 'b1',
  created_at: '2026-12-03T20:00:00.000Z',
  ...extra,
})

/** A socket whose messages the test sends. */

function json(body: unknown) {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('the alert banner and cards', () => {
  it('words the banner from the alarm row: headline, severity, remaining life', () => {
    render(<AlertBadge alarm={alarm({ severity: 'High' })} analysing={false} onDismiss={vi.fn()} />)
    const banner = screen.getByTestId('alert-badge')
    expect(banner.getAttribute('role')).toBe('alert')
    expect(banner.textContent).toContain('Battery running hot: 47 °C, limit 45 °C')
    expect(screen.getByTestId('alert-severity').textContent).toBe('High')
    expect(screen.getByTestId('alert-rul').textContent).toBe('about 3 days (2 days to 5 days)')
  })

  it("makes another car's alert a card that names the car and offers to show it", () => {
    const show = vi.fn()
    render(
      <AlertBadge
        alarm={alarm({ vin: 'OTHER', severity: 'Medium' })}
        analysing
        onDismiss={vi.fn()}
        vehicleName="Autonoma Cargo E (OTHER)"
        onShow={show}
      />,
    )
    const card = screen.getByRole('status', { name: 'Alert for your Autonoma Cargo E (OTHER)' })
    expect(card.textContent).toContain('Your Autonoma Cargo E (OTHER)')
    expect(card.textContent).toContain('Battery running hot')
    screen.getByRole('button', { name: 'Show Autonoma Cargo E (OTHER)' }).click()
    expect(show).toHaveBeenCalled()
  })

  it('colours Low by its own severity colour, defined once, never the green of Healthy', () => {
    const css = (f: string) => readFileSync(`web/src/styles/${f}`, 'utf8')
    const base = css('base.css')
    const low = base.match(/--sev-low:\s*(#[0-9a-f]{6})/i)?.[1]
    expect(low).toBeTruthy()
    const greens = [base.match(/--ok:\s*(#[0-9a-f]{6})/i)?.[1], '#1f9d55']
    expect(greens).not.toContain(low)
    expect(css('parts.css')).toMatch(/\.sev-low \{\s*background: var\(--sev-low\);/)
    // No stylesheet spells a severity's colour out again.
    for (const f of ['parts.css', 'console.css', 'customer.css', 'owner.css'])
      expect(css(f)).not.toMatch(/#7d1711|#a33d00/)
  })

  it('drops the banner as soon as its episode resolves (the repair), without waiting for a refetch', async () => {
    const { socket, emit } = fakeSocket()
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json([alarm({ severity: 'Critical' })])),
    )
    function Banner() {
      const { shown } = useAlerts(0, () => undefined)
      return <p data-testid="shown">{shown.map((a) => `${a.id}:${a.severity}`).join(',')}</p>
    }
    render(
      <SocketContext.Provider value={socket}>
        <Banner />
      </SocketContext.Provider>,
    )
    await waitFor(() => expect(screen.getByTestId('shown').textContent).toBe('e1:Critical'))
    emit('alarm', {
      id: 'e1',
      vin: VIN,
      status: 'RESOLVED',
      severity: 'Critical',
      anomaly_type: 'battery_thermal',
    })
    expect(screen.getByTestId('shown').textContent).toBe('')
  })
})

describe('old proposals and their buttons', () => {
  const open = [alarm()]

  it('disables buttons of an answered or superseded proposal and says why, in words', () => {
    const first = agent('m1')
    const second = agent('m2', { created_at: '2026-12-03T20:05:00.000Z' })
    const ctx = { bookings: [booking({})], openAlarms: open, messages: [first, second] }
    expect(actionBlocked(second, second.actions[0]!, ctx)).toBeNull()
    expect(actionBlocked(first, first.actions[0]!, ctx)).toBe('Replaced by a newer proposal below.')
    const approved = { ...ctx, bookings: [booking({ status: 'CONFIRMED' })] }
    expect(actionBlocked(second, second.actions[0]!, approved)).toBe('Already approved: see Service history.')

    render(
      <ChatPanel
        messages={[first, second]}
        onSend={vi.fn()}
        onAction={vi.fn()}
        blocked={(m, a) => actionBlocked(m, a, approved)}
      />,
    )
    const buttons = screen.getAllByRole('button', { name: /Approve service|Not now/ }) as HTMLButtonElement[]
    expect(buttons).toHaveLength(4)
    for (const b of buttons) expect(b.disabled).toBe(true)
    const why = screen.getAllByTestId('action-why').map((p) => p.textContent)
    expect(why).toEqual(['Already approved: see Service history.', 'Already approved: see Service history.'])
  })

  it('no longer calls a proposal for a cleared alert Pending, and lets the owner only cancel it', () => {
    const pending = booking({})
    expect(noLongerNeeded(pending, open)).toBe(false)
    expect(noLongerNeeded(pending, [])).toBe(true)
    // While the alarms load nothing is called resolved; the owner's own requests are theirs to keep.
    expect(noLongerNeeded(pending, undefined)).toBe(false)
    expect(noLongerNeeded(booking({ source: 'customer' }), [])).toBe(false)
    const m = agent('m1')
    const ctx = { bookings: [pending], openAlarms: [], messages: [m] }
    expect(actionBlocked(m, m.actions[0]!, ctx)).toBe('No longer needed: the alert has cleared.')
    expect(actionBlocked(m, m.actions[1]!, ctx)).toBeNull()
  })

  it("turns a refusal into words, never the server's raw message with its timestamp", () => {
    const raw = new ApiError(
      409,
      'INVALID_TRANSITION',
      'booking b1 is CONFIRMED since 2026-12-03T20:01:02.000Z',
    )
    const friendly = friendlyActionError(raw).message
    expect(friendly).toBe('That booking has already been handled: see Service history.')
    const other = friendlyActionError(new ApiError(409, 'SOMETHING_NEW', 'at 2026-12-03T20:01:02Z')).message
    expect(other).not.toMatch(/\d{4}-\d\d-\d\dT|409/)
  })
})

describe('a rating already given', () => {
  it('shows as given after a reload, not as an empty form', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        json({
          feedback: {
            id: 'f1',
            booking_id: 'b1',
            rating: 4,
            comment: 'Quick',
            created_at: '2026-12-03T20:00:00Z',
          },
        }),
      ),
    )
    render(<FeedbackForm bookingId="b1" />)
    const given = await screen.findByTestId('feedback-given')
    expect(given.getAttribute('data-rating')).toBe('4')
    expect(given.textContent).toContain('You rated this service 4 of 5')
    expect(screen.queryByText('Rate this service')).toBeNull()
  })

  it('offers the form while there is none', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ feedback: null })),
    )
    render(<FeedbackForm bookingId="b1" />)
    expect(await screen.findByText('Rate this service')).toBeTruthy()
  })
})

describe('sensor values', () => {
  it('carry their units', () => {
    expect(formatMeasure('battery_temperature', 46.24)).toBe('46.2 °C')
    expect(formatMeasure('battery_voltage', 380, 0)).toBe('380 V')
    expect(formatMeasure('soc', 0.81)).toBe('81 %')
    expect(formatMeasure('ambient_humidity', 55)).toBe('55.0 %')
    expect(formatMeasure('motor_vibration', 3.1, 2)).toBe('3.10 g')
    expect(formatMeasure('something_else', 2)).toBe('2.0')
    expect(formatMeasure('soc', null)).toBe('—')
  })
})
