// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/preact'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fakeSocket } from '../../lib/fake-socket'
import { SocketContext } from '../../lib/hooks'
import type { Vehicle } from '../../lib/types'
import { HealthPanel } from './health-panel'

const VIN = '5ATVSA1E3PA230501'

afterEach(() => cleanup())

describe('the health card', () => {
  it('moves "Last reading" with the live stream', () => {
    const { socket, emit } = fakeSocket()
    const vehicle = {
      vin: VIN,
      batch: 'B-2023-05',
      last_reading_at: '2026-10-01T00:40:00.000Z',
      health: {
        status: 'ok',
        open_alarms: 0,
        rul_days: null,
        rul_low_days: null,
        rul_high_days: null,
        rul_method: null,
      },
    } as unknown as Vehicle
    const alarms = { data: [], error: null, loading: false, reload: vi.fn(), setData: vi.fn() }
    render(
      <SocketContext.Provider value={socket}>
        <HealthPanel vehicle={vehicle} alarms={alarms} />
      </SocketContext.Provider>,
    )
    const last = screen.getByTestId('last-reading')
    expect(last.getAttribute('data-at')).toBe('2026-10-01T00:40:00.000Z')
    emit('telemetry', { vin: 'SOMEONE-ELSE', timestamp: '2026-10-01T00:50:00.000Z' })
    expect(last.getAttribute('data-at')).toBe('2026-10-01T00:40:00.000Z')
    emit('telemetry', { vin: VIN, timestamp: '2026-10-01T00:45:00.000Z' })
    expect(last.getAttribute('data-at')).toBe('2026-10-01T00:45:00.000Z')
    expect(screen.getByText('Healthy')).toBeTruthy()
  })

  it('says a High fault needs a service without calling it Critical, beside a High banner', () => {
    const vehicle = {
      vin: VIN,
      batch: 'B-2023-05',
      last_reading_at: '2026-12-04T18:00:00.000Z',
      health: {
        status: 'critical',
        open_alarms: 1,
        rul_days: 3,
        rul_low_days: 2,
        rul_high_days: 5,
        rul_method: 'theil-sen',
      },
    } as unknown as Vehicle
    const alarms = { data: [], error: null, loading: false, reload: vi.fn(), setData: vi.fn() }
    render(
      <SocketContext.Provider value={fakeSocket().socket}>
        <HealthPanel vehicle={vehicle} alarms={alarms} />
      </SocketContext.Provider>,
    )
    const card = screen.getByTestId('health-card')
    expect(card.querySelector('.health-status')?.textContent).toBe('Service needed')
    expect(card.textContent).not.toMatch(/Critical/)
  })
})
