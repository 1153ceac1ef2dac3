import { describe, expect, it } from 'vitest'
import { byPriority } from '../pages/service/booking-queue'
import { fleetView } from '../pages/staff/fleet-overview'
import {
  ageLabel,
  apiParams,
  DEFAULT_FILTERS,
  filtersFromQuery,
  filtersToQuery,
  priorityOf,
} from './alarm-filters'
import { loadRange, RAW_PAGE, rangeWindow, withGaps } from './chart-data'
import { TelemetryBuffer } from './telemetry-buffer'
import type { Booking, Reading, Vehicle } from './types'

describe('chart data', () => {
  it('breaks the line over an outage instead of drawing straight across it', () => {
    const xs = [0, 900, 1800, 2700, 9000, 9900]
    const [gx, gy] = withGaps(xs, [1, 2, 3, 4, 5, 6])
    expect(gx).toHaveLength(7)
    expect(gy[4]).toBeNull()
    expect(gx[4]).toBeGreaterThan(2700)
    expect(gx[4]).toBeLessThan(9000)
    // Readings at their usual pace stay as they are; a missing value is a gap too, never NaN.
    const [sx, sy] = withGaps([0, 900, 1800], [1, Number.NaN, 3])
    expect(sx).toEqual([0, 900, 1800])
    expect(sy).toEqual([1, null, 3])
  })

  it("ends every range at the vehicle's clock, not the browser's", () => {
    const clock = Date.parse('2026-10-04T10:00:00Z')
    expect(rangeWindow('1h', clock)).toEqual({
      from: '2026-10-04T09:00:00.000Z',
      to: '2026-10-04T10:00:00.001Z',
    })
    expect(rangeWindow('7d', clock)?.from).toBe('2026-09-27T10:00:00.000Z')
    expect(rangeWindow('live', clock)).toBeNull()
    expect(
      rangeWindow('custom', clock, { from: '2026-10-02T00:00:00Z', to: '2026-10-01T00:00:00Z' }),
    ).toBeNull()
    expect(rangeWindow('custom', clock, { from: '2026-10-02T00:00:00Z' })?.to).toBe(
      '2026-10-04T10:00:00.001Z',
    )
  })

  it('shows the last hour and day as readings, a week as hourly buckets, and a too-full day as buckets', async () => {
    const span = rangeWindow('24h', Date.parse('2026-12-04T18:00:00Z'))!
    const asked: Array<Record<string, string>> = []
    const fleet = (rawRows: number) => async (params: Record<string, string>) => {
      asked.push(params)
      return Array.from({ length: params.bucket === 'raw' ? rawRows : 24 }, (_, i) => i)
    }
    expect(await loadRange(fleet(96), '24h', span)).toHaveLength(96)
    expect(asked.map((p) => p.bucket)).toEqual(['raw'])
    // A live replay's day: more readings than one answer holds, so the whole day in hours.
    asked.length = 0
    expect(await loadRange(fleet(RAW_PAGE), '24h', span)).toHaveLength(24)
    expect(asked.map((p) => p.bucket)).toEqual(['raw', '1h'])
    asked.length = 0
    await loadRange(fleet(96), '7d', span)
    expect(asked).toEqual([{ ...span, bucket: '1h' }])
  })

  it('fills readings missed while offline into their place after a reconnect', () => {
    const at = (m: number, speed: number) =>
      ({
        vin: 'V',
        timestamp: new Date(Date.UTC(2026, 9, 1, 0, m)).toISOString(),
        driving_speed: speed,
      }) as Reading
    const buffer = new TelemetryBuffer(10)
    buffer.push(at(0, 1))
    buffer.push(at(45, 4))
    buffer.merge([at(15, 2), at(30, 3), at(45, 4)])
    expect(buffer.columns.driving_speed).toEqual([1, 2, 3, 4])
    expect(buffer.xs).toEqual([...buffer.xs].sort((a, b) => a - b))
  })
})

describe('alarm console filters', () => {
  it('keeps filters in the URL and leaves the defaults out of it', () => {
    expect(filtersToQuery(DEFAULT_FILTERS)).toBe('')
    const f = { ...DEFAULT_FILTERS, severity: 'Critical,High', vin: 'ABC', sort: 'newest' as const }
    const q = filtersToQuery(f)
    expect(filtersFromQuery(new URLSearchParams(q.slice(1)))).toEqual(f)
    // An explicit "any status" survives the round trip (it is not the default).
    expect(filtersFromQuery(new URLSearchParams('status=')).status).toBe('')
    expect(filtersFromQuery(new URLSearchParams('sort=bogus')).sort).toBe('severity')
    // Half a VIN is never sent (it would be a 400); the console says why instead.
    expect(apiParams({ ...DEFAULT_FILTERS, vin: '5ATUR' }).vin).toBeUndefined()
    expect(apiParams({ ...DEFAULT_FILTERS, vin: '5aturh1e0sa250102' }).vin).toBe('5ATURH1E0SA250102')
  })

  it('ranks priority by severity and says how long an alarm has waited', () => {
    expect([priorityOf('Critical'), priorityOf('High'), priorityOf('Low'), priorityOf(null)]).toEqual([
      1, 2, 4, 4,
    ])
    expect(ageLabel(0, 45 * 60_000)).toBe('45 min')
    expect(ageLabel(0, 5 * 3_600_000)).toBe('5 h')
    expect(ageLabel(0, 72 * 3_600_000)).toBe('3 d')
  })
})

describe('appointment queue', () => {
  it('can put the worst alarm first, then the soonest appointment', () => {
    const b = (id: string, severity: Booking['anomaly_severity'], day: number) =>
      ({
        id,
        anomaly_severity: severity,
        appointment_time: new Date(Date.UTC(2026, 11, day)).toISOString(),
      }) as Booking
    const list = [
      b('soon-none', null, 1),
      b('later-critical', 'Critical', 9),
      b('soon-high', 'High', 2),
      b('late-high', 'High', 5),
    ]
    expect(byPriority(list).map((x) => x.id)).toEqual([
      'later-critical',
      'soon-high',
      'late-high',
      'soon-none',
    ])
  })
})

describe('fleet overview', () => {
  const v = (vin: string, status: Vehicle['health']['status'], open: number, dq?: 'ok' | 'degraded') =>
    ({
      vin,
      model: 'Autonoma Urban',
      batch: 'B-2025-01',
      last_reading_at: null,
      health: {
        status,
        open_alarms: open,
        rul_days: null,
        data_quality: dq ? { status: dq, issues: [] } : null,
      },
    }) as unknown as Vehicle
  const fleet = [v('A1', 'ok', 0), v('B2', 'critical', 2), v('C3', 'warning', 1, 'degraded')]

  it('searches, filters and sorts the way the URL says', () => {
    expect(fleetView(fleet, new URLSearchParams()).map((x) => x.vin)).toEqual(['B2', 'C3', 'A1'])
    expect(fleetView(fleet, new URLSearchParams('q=c3')).map((x) => x.vin)).toEqual(['C3'])
    expect(fleetView(fleet, new URLSearchParams('dq=degraded')).map((x) => x.vin)).toEqual(['C3'])
    expect(fleetView(fleet, new URLSearchParams('health=ok&sort=vin')).map((x) => x.vin)).toEqual(['A1'])
  })
})
