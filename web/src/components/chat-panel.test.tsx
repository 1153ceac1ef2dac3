// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ChatMessage } from '../lib/types'
import { ChatPanel } from './chat-panel'

const agent = (id: string, content: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  vin: 'VIN0000000000000A',
  sender: 'agent',
  content,
  intent: null,
  actions: [],
  anomaly_event_id: null,
  booking_id: null,
  created_at: '2026-01-01T10:00:00.000Z',
  ...extra,
})

const offer = agent('m2', 'I can book you in. Pick a slot:', {
  actions: [
    {
      type: 'book_slot',
      label: 'Tue 10:00, Hub North',
      slot_time: '2026-01-06T09:00:00.000Z',
      service_center_id: 'c1',
    },
    {
      type: 'book_slot',
      label: 'Tue 11:00, Hub North',
      slot_time: '2026-01-06T10:00:00.000Z',
      service_center_id: 'c1',
    },
    { type: 'decline', label: 'Not now' },
  ],
})

describe('ChatPanel', () => {
  afterEach(cleanup)

  it('renders the conversation and the agent actions as buttons', () => {
    render(
      <ChatPanel
        messages={[agent('m1', 'URGENT: Battery thermal management failure'), offer]}
        onSend={vi.fn()}
        onAction={vi.fn()}
      />,
    )
    expect(screen.getByText('URGENT: Battery thermal management failure')).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Tue 10:00, Hub North' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Not now' })).toBeTruthy()
  })

  it('runs an action once, then shows the choice and disables the others', async () => {
    const onAction = vi.fn(async () => {})
    render(<ChatPanel messages={[offer]} onSend={vi.fn()} onAction={onAction} />)
    fireEvent.click(screen.getByRole('button', { name: 'Tue 11:00, Hub North' }))
    await waitFor(() => expect(onAction).toHaveBeenCalledTimes(1))
    expect(onAction).toHaveBeenCalledWith(offer, offer.actions![1])
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Tue 11:00, Hub North' }).getAttribute('aria-pressed')).toBe(
        'true',
      ),
    )
    for (const b of screen.getAllByRole('button').filter((el) => el.dataset.action)) {
      expect((b as HTMLButtonElement).disabled).toBe(true)
    }
  })

  it('shows why an action failed and lets the owner try again', async () => {
    const onAction = vi.fn(async () => {
      throw new Error('That slot has just been taken')
    })
    render(<ChatPanel messages={[offer]} onSend={vi.fn()} onAction={onAction} />)
    fireEvent.click(screen.getByRole('button', { name: 'Tue 10:00, Hub North' }))
    await screen.findByText('That slot has just been taken')
    expect((screen.getByRole('button', { name: 'Tue 11:00, Hub North' }) as HTMLButtonElement).disabled).toBe(
      false,
    )
  })

  it('sends typed text and quick questions, then clears the box', async () => {
    const onSend = vi.fn(async () => {})
    render(<ChatPanel messages={[]} onSend={onSend} onAction={vi.fn()} />)
    const input = screen.getByLabelText('Message the agent') as HTMLInputElement
    fireEvent.input(input, { target: { value: '  When can I come in?  ' } })
    fireEvent.submit(input.form!)
    await waitFor(() => expect(onSend).toHaveBeenCalledWith('When can I come in?'))
    await waitFor(() => expect(input.value).toBe(''))
    fireEvent.click(screen.getByRole('button', { name: 'What should I do?' }))
    await waitFor(() => expect(onSend).toHaveBeenLastCalledWith('What should I do?'))
  })

  it('shows the analysing state while the agents work', () => {
    const { rerender } = render(<ChatPanel messages={[]} analysing onSend={vi.fn()} onAction={vi.fn()} />)
    expect(screen.getByTestId('analysing').textContent).toContain('analysing')
    rerender(<ChatPanel messages={[agent('m1', 'Done')]} onSend={vi.fn()} onAction={vi.fn()} />)
    expect(screen.queryByTestId('analysing')).toBeNull()
  })

  it('scrolls to the newest message, unless the owner scrolled up to read', () => {
    const { container, rerender } = render(
      <ChatPanel messages={[agent('m1', 'one')]} onSend={vi.fn()} onAction={vi.fn()} />,
    )
    const log = container.querySelector('.chat-log') as HTMLElement
    let height = 1000
    Object.defineProperty(log, 'scrollHeight', { get: () => height, configurable: true })
    Object.defineProperty(log, 'clientHeight', { value: 300, configurable: true })

    rerender(
      <ChatPanel messages={[agent('m1', 'one'), agent('m2', 'two')]} onSend={vi.fn()} onAction={vi.fn()} />,
    )
    expect(log.scrollTop).toBe(1000)

    // The owner scrolls far up: a new message must not yank the view away.
    log.scrollTop = 100
    fireEvent.scroll(log)
    height = 1400
    rerender(
      <ChatPanel
        messages={[agent('m1', 'one'), agent('m2', 'two'), agent('m3', 'three')]}
        onSend={vi.fn()}
        onAction={vi.fn()}
      />,
    )
    expect(log.scrollTop).toBe(100)
  })
})
