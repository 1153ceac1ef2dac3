import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { NatsEventBus } from '../../src/cluster/nats-event-bus.js'
import { partitionOf, subjects } from '../../src/cluster/partitions.js'

describe('partitionOf', () => {
  it('never changes: every process, of any release, must put a vehicle in the same partition', () => {
    // Pinned on purpose: a change here re-partitions every stream in use, and two workers would
    // analyse the same vehicle. A new hash needs a new stream.
    expect(partitionOf('1HGBH41JXMN109186', 16)).toBe(8)
    expect(partitionOf('5YJ3E1EA7JF000001', 16)).toBe(2)
    expect(partitionOf('5YJ3E1EA7JF000001', 1024)).toBe(546)
  })

  it('spreads a fleet evenly enough that no worker carries much more than its share', () => {
    const counts = new Array(16).fill(0)
    for (let i = 0; i < 16_000; i++)
      counts[partitionOf(randomBytes(9).toString('hex').slice(0, 17).toUpperCase(), 16)]++
    expect(Math.min(...counts)).toBeGreaterThan(800)
    expect(Math.max(...counts)).toBeLessThan(1200)
  })
})

describe('subjects', () => {
  it('names telemetry.<partition>.<vin> and events.<type>.<vin>, under a prefix when given', () => {
    const plain = subjects(undefined, 16)
    expect(plain.reading('1HGBH41JXMN109186')).toBe('telemetry.8.1HGBH41JXMN109186')
    expect(plain.partition(3)).toBe('telemetry.3.*')
    expect(plain.event('alert', 'V1')).toBe('events.alert.V1')
    expect(plain.event('ueba', null)).toBe('events.ueba._')
    expect(subjects('t1', 16).readings).toBe('t1.telemetry.*.*')
  })
})

describe('NatsEventBus', () => {
  it('delivers what it receives to its subscribers with the publisher’s data JSON as is', () => {
    const published: { subject: string; payload: string }[] = []
    let deliver: ((err: null, msg: { string(): string }) => void) | undefined
    const nc = {
      isClosed: () => false,
      publish: (subject: string, payload: string) => published.push({ subject, payload }),
      subscribe: (_s: string, o: { callback: typeof deliver }) => {
        deliver = o.callback
        return {}
      },
    }
    const bus = new NatsEventBus(nc as never, subjects(undefined, 4), { listen: true })
    const got: unknown[] = []
    bus.subscribe((m) => got.push(m))
    bus.publish({
      type: 'alarm',
      data: { id: 'a' } as never,
      vin: 'V1',
      ownerId: 'o1',
      roles: ['service'],
      dataJson: '{"id":"a"}',
    })
    expect(published[0]!.subject).toBe('events.alarm.V1')
    deliver!(null, { string: () => published[0]!.payload })
    deliver!(null, { string: () => 'not a message' })
    expect(got).toEqual([
      {
        type: 'alarm',
        vin: 'V1',
        ownerId: 'o1',
        roles: ['service'],
        data: { id: 'a' },
        dataJson: '{"id":"a"}',
      },
    ])
    expect(bus.stats).toMatchObject({ published: 1, received: 1, malformed: 1 })
  })
})
