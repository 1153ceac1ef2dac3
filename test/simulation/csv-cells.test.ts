import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseNumberCell, parseTimestamp } from '../../src/simulation/csv-cells.js'

const iso = (ms: number): string => new Date(ms).toISOString()

describe('parseTimestamp', () => {
  it('reads the files’ zone-less layout as UTC', () => {
    expect(iso(parseTimestamp('2026-10-01 00:00:00'))).toBe('2026-10-01T00:00:00.000Z')
    expect(iso(parseTimestamp('2024-02-29 23:59:59'))).toBe('2024-02-29T23:59:59.000Z')
  })

  it('accepts ISO-8601 with T, fractions, Z and offsets', () => {
    expect(iso(parseTimestamp('2026-10-01T00:00:00'))).toBe('2026-10-01T00:00:00.000Z')
    expect(iso(parseTimestamp('2026-10-01T00:00:00Z'))).toBe('2026-10-01T00:00:00.000Z')
    expect(iso(parseTimestamp('2026-10-01T00:00:00.123456Z'))).toBe('2026-10-01T00:00:00.123Z')
    expect(iso(parseTimestamp('2026-10-01T02:00:00+02:00'))).toBe('2026-10-01T00:00:00.000Z')
    expect(iso(parseTimestamp('2026-09-30T19:30:00-0430'))).toBe('2026-10-01T00:00:00.000Z')
    expect(iso(parseTimestamp(' 2026-10-01T00:00Z '))).toBe('2026-10-01T00:00:00.000Z')
    expect(iso(parseTimestamp('2026-10-01'))).toBe('2026-10-01T00:00:00.000Z')
  })

  it('keeps two-digit years where they are instead of moving them to the 1900s', () => {
    expect(iso(parseTimestamp('0050-01-01 00:00:00'))).toBe('0050-01-01T00:00:00.000Z')
  })

  it.each([
    '',
    'n/a',
    '2026-13-01 00:00:00',
    '2026-02-29 00:00:00',
    '2026-04-31 00:00:00',
    '2026-10-01 24:00:00',
    '2026-10-01 00:60:00',
    '2026-10-01 00:00:60',
    '2026-1O-01 00:00:00',
    '01/10/2026 00:00',
    '2026-10-01T00:00:00+25:00',
  ])('rejects %j', (text) => {
    expect(parseTimestamp(text)).toBeNaN()
  })
})

describe('parseNumberCell', () => {
  it('matches Number() bit for bit on finite doubles written the usual ways', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 0, max: 12 }),
        (d, digits) => {
          for (const text of [String(d), d.toFixed(digits), d.toPrecision(digits + 1)]) {
            // Rounding can push a huge double to Infinity, which counts as a missing value.
            const expected = Number.isFinite(Number(text)) ? Number(text) : Number.NaN
            expect(Object.is(parseNumberCell(text), expected)).toBe(true)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('matches Number() on short decimals, the fast path', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat({ max: 99_999_999 }),
        fc.integer({ min: 0, max: 7 }),
        (negative, mantissa, scale) => {
          const digits = String(mantissa).padStart(scale + 1, '0')
          const text = `${negative ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
          expect(Object.is(parseNumberCell(text), Number(text))).toBe(true)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('reads plain numbers, exponents and padded cells', () => {
    expect(parseNumberCell('352.7')).toBe(352.7)
    expect(parseNumberCell('-47.8')).toBe(-47.8)
    expect(parseNumberCell('0')).toBe(0)
    expect(parseNumberCell('.5')).toBe(0.5)
    expect(parseNumberCell('1e3')).toBe(1000)
    expect(parseNumberCell(' 12.5 ')).toBe(12.5)
    expect(parseNumberCell('0.1234567890123456')).toBe(0.1234567890123456)
  })

  it.each(['', '   ', 'n/a', 'NaN', 'abc', 'Infinity', '-', '.', '1.2.3', '12abc', '1e999'])(
    'gives NaN for the missing or non-numeric cell %j',
    (text) => {
      expect(parseNumberCell(text)).toBeNaN()
    },
  )
})
