import { describe, expect, it } from 'vitest'
import { wallClock, zonedTimeToUtc } from '../../src/lib/zoned-time.js'

/** What Intl says, field by field: the reference the cached offsets must agree with. */
function intlWallClock(date: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    })
      .formatToParts(date)
      .filter((p) => p.type !== 'literal')
      .map((p) => [p.type, p.value]),
  )
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday!),
  }
}

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Asia/Kathmandu', // +05:45
  'Australia/Lord_Howe', // half-hour DST
  'Pacific/Chatham', // +12:45 / +13:45
  'America/St_Johns', // -03:30 / -02:30
]

describe('wallClock', () => {
  it('agrees with Intl every 7 minutes 13 seconds across a year of DST changes, in odd zones too', () => {
    const from = Date.parse('2026-01-01T00:00:00Z')
    const step = (7 * 60 + 13) * 1000
    for (const zone of ZONES) {
      for (let t = from; t < from + 366 * 86_400_000; t += step * 97) {
        const date = new Date(t)
        expect(wallClock(date, zone), `${zone} ${date.toISOString()}`).toEqual(intlWallClock(date, zone))
      }
    }
  })

  it('agrees with Intl minute by minute around the DST changes', () => {
    const cases: [string, string][] = [
      ['Europe/Berlin', '2026-03-29T00:30:00Z'],
      ['Europe/Berlin', '2026-10-25T00:30:00Z'],
      ['America/New_York', '2026-03-08T06:30:00Z'],
      ['America/New_York', '2026-11-01T05:30:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T14:30:00Z'],
      ['Pacific/Chatham', '2026-04-04T13:30:00Z'],
    ]
    for (const [zone, start] of cases) {
      for (let m = 0; m < 120; m++) {
        const date = new Date(Date.parse(start) + m * 60_000 + 17_000)
        expect(wallClock(date, zone), `${zone} ${date.toISOString()}`).toEqual(intlWallClock(date, zone))
      }
    }
  })

  it('throws for a zone that does not exist', () => {
    expect(() => wallClock(new Date(), 'Mars/Olympus_Mons')).toThrow()
  })
})

describe('zonedTimeToUtc', () => {
  it('maps a local minute to its instant, has none in a spring-forward gap, and takes the first of a repeated hour', () => {
    expect(zonedTimeToUtc({ year: 2026, month: 7, day: 1 }, 9 * 60, 'Europe/Berlin')?.toISOString()).toBe(
      '2026-07-01T07:00:00.000Z',
    )
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 29 }, 2 * 60 + 30, 'Europe/Berlin')).toBeUndefined()
    expect(
      zonedTimeToUtc({ year: 2026, month: 10, day: 25 }, 2 * 60 + 30, 'Europe/Berlin')?.toISOString(),
    ).toBe('2026-10-25T00:30:00.000Z')
    expect(zonedTimeToUtc({ year: 2026, month: 7, day: 1 }, 9 * 60, 'Asia/Kathmandu')?.toISOString()).toBe(
      '2026-07-01T03:15:00.000Z',
    )
  })
})
