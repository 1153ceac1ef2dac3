// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AsyncState } from '../../lib/hooks'
import type { FailureRates, InsightWithNotes, UebaLog } from '../../lib/types'
import { FailureRateMatrix } from './failure-rates'
import { type DemandForecast, ForecastView } from './forecast-view'
import { InsightWorkflow } from './insight-workflow'
import { UebaView } from './ueba-view'

type Route = (url: string, init?: RequestInit) => { status?: number; body: unknown } | undefined
let routes: Route[] = []
const calls: Array<{ url: string; method: string; body: unknown }> = []

beforeEach(() => {
  routes = []
  calls.length = 0
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({
        url,
        method: init?.method ?? 'GET',
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
      })
      for (const route of routes) {
        const hit = route(url, init)
        if (hit) return new Response(JSON.stringify(hit.body), { status: hit.status ?? 200 })
      }
      return new Response(JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'No such route' } }), {
        status: 404,
      })
    }),
  )
})
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  history.replaceState(null, '', '/')
})

const state = <T,>(data: T): AsyncState<T> => ({
  data,
  error: null,
  loading: false,
  reload: () => {},
  setData: () => {},
})

// The server's DemandForecastSchema (src/schemas/forecast.ts); fetch is mocked here, the route has its own test.
describe('ForecastView (GET /api/service-centers/{id}/forecast)', () => {
  const forecast: DemandForecast = {
    center_id: 'c1',
    generated_at: '2026-12-03T08:00:00.000Z',
    timezone: 'Europe/Berlin',
    days: [
      {
        date: '2026-12-04',
        expected: 3.2,
        expected_low: 2,
        expected_high: 5,
        booked: 2,
        pending: 0,
        capacity: 8,
        overloaded: false,
        at_risk: false,
      },
      {
        date: '2026-12-05',
        expected: 9.6,
        expected_low: 7,
        expected_high: 12,
        booked: 6,
        pending: 1,
        capacity: 8,
        overloaded: true,
        at_risk: true,
      },
    ],
    warnings: ['Fewer than 14 days of history: wide ranges'],
  }

  it('shows each day against capacity, flags overload in words, and lists the warnings', async () => {
    routes.push((url) =>
      url === '/api/service-centers' ? { body: [{ id: 'c1', name: 'Hub North' }] } : undefined,
    )
    routes.push((url) => (url === '/api/service-centers/c1/forecast' ? { body: forecast } : undefined))
    render(<ForecastView />)
    await screen.findByRole('option', { name: 'Hub North' })
    // Nothing is asked before a centre is chosen.
    expect(calls.map((c) => c.url)).toEqual(['/api/service-centers'])
    fireEvent.change(screen.getByLabelText('Centre'), { target: { value: 'c1' } })
    const table = await screen.findByTestId('forecast-table')
    const rows = within(table).getAllByRole('row').slice(1)
    expect(rows.map((r) => r.getAttribute('data-overloaded'))).toEqual(['false', 'true'])
    expect(rows[1]!.textContent).toContain('over capacity')
    expect(rows[1]!.textContent).toContain('9.6')
    expect(rows[1]!.textContent).toContain('(7.0–12.0)')
    expect(table.textContent).toContain('Europe/Berlin')
    expect(screen.getByTestId('forecast-warnings').textContent).toContain('Fewer than 14 days')
  })

  it('says plainly when the server has no forecast yet', async () => {
    routes.push((url) =>
      url === '/api/service-centers' ? { body: [{ id: 'c1', name: 'Hub North' }] } : undefined,
    )
    render(<ForecastView />)
    await screen.findByRole('option', { name: 'Hub North' })
    fireEvent.change(screen.getByLabelText('Centre'), { target: { value: 'c1' } })
    await screen.findByText('This server does not forecast demand yet.')
  })
})

describe('FailureRateMatrix', () => {
  const rates: FailureRates = {
    period: 'week',
    unit: 'failures per 1,000 vehicle-days',
    components: ['battery', 'motor'],
    batches: [
      { batch: 'B-2025-01', vehicles: 4 },
      { batch: 'B-2024-07', vehicles: 2 },
    ],
    cells: [
      {
        component: 'battery',
        batch: 'B-2025-01',
        events: 3,
        affected_vehicles: 2,
        vehicle_days: 16,
        rate: 187.5,
      },
      {
        component: 'battery',
        batch: 'B-2024-07',
        events: 0,
        affected_vehicles: 0,
        vehicle_days: 0,
        rate: null,
      },
      { component: 'motor', batch: 'B-2025-01', events: 0, affected_vehicles: 0, vehicle_days: 16, rate: 0 },
      {
        component: 'motor',
        batch: 'B-2024-07',
        events: 0,
        affected_vehicles: 0,
        vehicle_days: 0,
        rate: null,
      },
    ],
    series: [],
  }

  it('draws the whole grid as rates, not event counts, and selects a cell', () => {
    const onSelect = vi.fn()
    render(
      <FailureRateMatrix rates={state(rates)} selected={{ component: '', batch: '' }} onSelect={onSelect} />,
    )
    const table = screen.getByTestId('failure-matrix')
    expect(within(table).getAllByRole('row')).toHaveLength(3)
    const cells = [...table.querySelectorAll('td')].map(
      (td) => td.querySelector('button')!.firstChild!.textContent,
    )
    // 3 failures over 16 vehicle-days: 188 per 1,000; unobserved batches show a dash, not a zero.
    expect(cells).toEqual(['188', '—', '0.0', '—'])
    expect(table.querySelector('td')!.className).toContain('heat-5')
    fireEvent.click(within(table).getAllByRole('button')[0]!)
    expect(onSelect).toHaveBeenCalledWith('battery', 'B-2025-01')
  })
})

describe('InsightWorkflow', () => {
  const insight: InsightWithNotes = {
    id: '11111111-1111-4111-8111-111111111111',
    component_name: 'battery',
    failure_pattern: 'Thermal runaway',
    affected_batch: 'B-2025-01',
    recommendation: null,
    confidence_score: 0.9,
    event_count: 3,
    evidence: {},
    status: 'new',
    status_changed_at: null,
    status_changed_by: null,
    created_at: '2026-12-01T10:00:00.000Z',
    updated_at: '2026-12-01T10:00:00.000Z',
    notes: [],
  }

  it('moves the insight on with a note, and shows who did it', async () => {
    const next: InsightWithNotes = {
      ...insight,
      status: 'investigating',
      notes: [
        {
          id: '22222222-2222-4222-8222-222222222222',
          insight_id: insight.id,
          from_status: 'new',
          to_status: 'investigating',
          note: 'Two packs pulled',
          user_id: 'u1',
          user_name: 'Quality Lead',
          created_at: '2026-12-02T09:00:00.000Z',
        },
      ],
    }
    routes.push((url, init) =>
      url === `/api/insights/${insight.id}` && init?.method === 'PATCH' ? { body: next } : undefined,
    )
    const onChanged = vi.fn()
    const { rerender } = render(<InsightWorkflow insight={insight} onChanged={onChanged} />)
    // Keeping the status needs a note: said on the page, nothing sent.
    fireEvent.click(screen.getByRole('button', { name: 'Add note' }))
    await screen.findByText('Choose another status or write a note.')
    expect(calls).toEqual([])
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'investigating' } })
    fireEvent.input(screen.getByLabelText(/^Note/), { target: { value: 'Two packs pulled' } })
    fireEvent.click(screen.getByRole('button', { name: 'Move to Investigating' }))
    await waitFor(() => expect(onChanged).toHaveBeenCalledWith(next))
    expect(calls[0]).toMatchObject({
      method: 'PATCH',
      body: { status: 'investigating', note: 'Two packs pulled' },
    })
    rerender(<InsightWorkflow insight={next} onChanged={onChanged} />)
    expect(screen.getByTestId('insight-workflow').textContent).toContain(
      'Quality Lead moved it from New to Investigating',
    )
  })
})

describe('UebaView', () => {
  const log = (id: string, drill: boolean): UebaLog => ({
    id,
    agent_name: 'customer_engagement',
    action_type: 'write',
    source_node: 'customer_engagement',
    target_node: 'manufacturing_insights',
    status: 'BLOCKED',
    actor_kind: 'agent',
    actor_id: 'customer_engagement',
    reason: null,
    request_id: null,
    vin: drill ? null : '5ATVSA1E9SA250101',
    run_id: null,
    details: drill ? { drill: 'engagement_writes_manufacturing' } : null,
    drill,
    timestamp: '2026-12-03T10:00:00.000Z',
  })

  it('reads its filters from the URL, asks the API for them, and marks drills as drills', async () => {
    history.replaceState(null, '', '/dashboard/manufacturing?source=drill&action=write&decision=BLOCKED')
    routes.push((url) =>
      url.startsWith('/api/ueba/logs') ? { body: { items: [log('a', true)], next_cursor: null } } : undefined,
    )
    routes.push((url) => (url === '/api/ueba/verify' ? { status: 500, body: {} } : undefined))
    render(<UebaView />)
    const table = await screen.findByTestId('ueba-table')
    const asked = new URL(calls.find((c) => c.url.startsWith('/api/ueba/logs'))!.url, 'http://x')
    expect(Object.fromEntries(asked.searchParams)).toMatchObject({
      drill: 'true',
      action: 'write',
      status: 'BLOCKED',
    })
    const row = table.querySelector('tbody tr')!
    expect(row.getAttribute('data-drill')).toBe('true')
    expect(row.textContent).toContain('DRILL')
    expect(row.textContent).toContain('synthetic (drill)')
    expect(row.textContent).not.toContain('5ATVSA1E9SA250101')
    // Changing a filter changes the URL, so a reload or a shared link shows the same list.
    fireEvent.change(screen.getByLabelText('Drill or real'), { target: { value: 'real' } })
    await waitFor(() => expect(location.search).toContain('source=real'))
    expect(location.search).toContain('action=write')
  })
})
