import { describe, expect, it } from 'vitest'
import { ReadingRing } from '../../src/ingest/reading-ring.js'
import { makeReading, step } from '../helpers/readings.js'

const VIN = '5ATVSA1E9SA250101'

describe('ReadingRing', () => {
  it('gives back exactly the readings it was given, oldest first, keeping only the newest', () => {
    const ring = new ReadingRing(3, VIN)
    expect(ring.last()).toBeUndefined()
    expect(ring.toArray()).toEqual([])
    const readings = Array.from({ length: 5 }, (_, i) =>
      makeReading(VIN, step('2026-10-01T00:00:00.000Z', i), {
        battery_temperature: 30 + i,
        soc: 0.5 + i / 100,
      }),
    )
    for (const r of readings) ring.push(r)
    expect(ring.length).toBe(3)
    expect(ring.toArray()).toEqual(readings.slice(2))
    expect(ring.toArray(2)).toEqual(readings.slice(3))
    expect(ring.last()).toEqual(readings[4])
  })

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new ReadingRing(0, VIN)).toThrow(/positive integer/)
  })
})
