import { describe, expect, it } from 'vitest'
import { AuthThrottle } from '../../src/auth/failure-throttle.js'

const limits = {
  maxFailuresPerAccount: 3,
  maxFailuresPerAddress: 10,
  windowSeconds: 900,
  maxLockoutSeconds: 60,
}

describe('AuthThrottle', () => {
  it('locks an account past its budget, each further failure twice as long, up to the cap', () => {
    let now = 0
    const throttle = new AuthThrottle(limits, { now: () => now })
    const who = { account: 'a@x.com', address: '10.0.0.1' }
    for (let i = 0; i < 3; i++) throttle.fail('login', who)
    expect(throttle.retryAfter('login', who)).toBeUndefined()
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      throttle.fail('login', who)
      const wait = throttle.retryAfter('login', who) ?? 0
      waits.push(wait)
      now += wait * 1000
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60])
  })

  it('counts the address across accounts, and a success clears only the account', () => {
    const now = 0
    const throttle = new AuthThrottle(limits, { now: () => now })
    for (let i = 0; i < 10; i++) throttle.fail('login', { account: `u${i}@x.com`, address: '10.0.0.2' })
    throttle.fail('login', { account: 'fresh@x.com', address: '10.0.0.2' })
    expect(throttle.retryAfter('login', { account: 'other@x.com', address: '10.0.0.2' })).toBe(1)
    expect(throttle.retryAfter('login', { account: 'other@x.com', address: '10.0.0.3' })).toBeUndefined()
    // Devices are counted apart from sign-ins.
    expect(throttle.retryAfter('device', { address: '10.0.0.2' })).toBeUndefined()

    const who = { account: 'b@x.com', address: '10.0.0.4' }
    for (let i = 0; i < 3; i++) throttle.fail('login', who)
    throttle.succeed('login', 'B@x.com')
    throttle.fail('login', who)
    expect(throttle.retryAfter('login', who)).toBeUndefined()
  })

  it('forgets failures once the window has passed', () => {
    let now = 0
    const throttle = new AuthThrottle(limits, { now: () => now })
    const who = { account: 'c@x.com', address: '10.0.0.5' }
    for (let i = 0; i < 3; i++) throttle.fail('login', who)
    now += 901_000
    throttle.fail('login', who)
    expect(throttle.retryAfter('login', who)).toBeUndefined()
  })

  it('keeps a bounded number of keys', () => {
    const throttle = new AuthThrottle(limits, { maxKeys: 100 })
    for (let i = 0; i < 1000; i++) throttle.fail('login', { account: `x${i}`, address: `a${i}` })
    expect(throttle.stats.accounts.tracked).toBeLessThanOrEqual(100)
    expect(throttle.stats.addresses.tracked).toBeLessThanOrEqual(100)
  })
})
