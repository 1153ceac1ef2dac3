import { describe, expect, it } from 'vitest'
import { KeyedSerial } from '../../src/lib/keyed-serial.js'

const later = () => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  return { gate, release }
}

describe('KeyedSerial', () => {
  it('runs one key in order, other keys meanwhile, and goes on after a failure', async () => {
    const serial = new KeyedSerial()
    const order: string[] = []
    const first = later()
    const a1 = serial.run('a', async () => {
      await first.gate
      order.push('a1')
      throw new Error('a1 failed')
    })
    const a2 = serial.run('a', async () => {
      order.push('a2')
      return 2
    })
    const b1 = serial.run('b', async () => {
      order.push('b1')
      return 'b'
    })
    expect(await b1).toBe('b')
    expect(order).toEqual(['b1'])
    first.release()
    await expect(a1).rejects.toThrow('a1 failed')
    expect(await a2).toBe(2)
    expect(order).toEqual(['b1', 'a1', 'a2'])
    await new Promise((r) => setTimeout(r, 0))
    expect(serial.size).toBe(0)
  })
})
