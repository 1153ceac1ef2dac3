import { describe, expect, it } from 'vitest'
import { TokenBuckets } from '../../src/lib/token-bucket.js'

describe('TokenBuckets', () => {
  it('allows the burst, then refills at the rate, per key', () => {
    let now = 0
    const buckets = new TokenBuckets(50, 1000, () => now)
    expect(buckets.take('a', 1000)).toBe(0)
    expect(buckets.take('a', 1)).toBeCloseTo(1 / 50)
    expect(buckets.take('b', 1000)).toBe(0)
    now += 2000 // 100 tokens back
    expect(buckets.take('a', 101)).toBeCloseTo(1 / 50)
    expect(buckets.take('a', 100)).toBe(0)
    expect(buckets.take('a', 10)).toBeCloseTo(10 / 50)
  })

  it('never holds more than the burst; more than the burst passes on a full bucket and leaves it in debt', () => {
    let now = 0
    const buckets = new TokenBuckets(10, 20, () => now)
    now += 60_000
    expect(buckets.take('a', 5)).toBe(0)
    expect(buckets.take('a', 20)).toBeCloseTo(0.5)
    expect(buckets.take('a', 21)).toBeCloseTo(0.5) // not full: waits like a burst-sized request
    now += 500
    expect(buckets.take('a', 30)).toBe(0) // full again: passes, 10 tokens owed
    expect(buckets.take('a', 1)).toBeCloseTo(1.1)
    now += 1100
    expect(buckets.take('a', 1)).toBe(0)
  })

  it('forgets keys that have been idle long enough to be full again', () => {
    let now = 0
    const buckets = new TokenBuckets(10, 20, () => now)
    for (let i = 0; i < 100; i++) buckets.take(`k${i}`, 1)
    expect(buckets.size).toBe(100)
    now += 3000
    buckets.take('fresh', 1)
    expect(buckets.size).toBe(1)
  })
})
