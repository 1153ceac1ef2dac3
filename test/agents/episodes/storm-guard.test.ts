import { describe, expect, it } from 'vitest'
import { VehicleRunQueue } from '../../../src/agents/episodes/run-queue.js'
import { FlapTracker, OwnerBudget } from '../../../src/agents/episodes/storm-guard.js'

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

const HOUR = 3_600_000

describe('OwnerBudget', () => {
  it('lets N messages an hour through, then holds them for one digest; Critical always goes through', () => {
    let now = 0
    const budget = new OwnerBudget<string>({ perWindow: 2, windowMs: HOUR }, () => now)
    expect(budget.admit('v1', 'High')).toBe(true)
    expect(budget.admit('v1', 'Medium')).toBe(true)
    expect(budget.admit('v1', 'High')).toBe(false)
    // Another vehicle of the same owner has its own allowance.
    expect(budget.admit('v2', 'High')).toBe(true)
    expect(budget.admit('v1', 'Critical')).toBe(true)
    budget.hold('v1', 'car', { anomalyType: 'tire_pressure', severity: 'High', headline: 'tyre low' })
    budget.hold('v1', 'car', { anomalyType: 'tire_pressure', severity: 'High', headline: 'tyre lower' })
    budget.hold('v1', 'car', { anomalyType: 'brake_wear', severity: 'High', headline: 'pads worn' })
    // The window is full: the digest waits.
    now = 30 * 60_000
    expect(budget.due()).toEqual([])
    now = HOUR + 1
    const [digest, ...rest] = budget.due()
    expect(rest).toEqual([])
    expect(digest).toMatchObject({ vehicleId: 'v1', vehicle: 'car', count: 3 })
    expect(digest!.notices.map((n) => n.headline)).toEqual(['tyre lower', 'pads worn'])
    // Sent once; and it counted as one of the hour's messages.
    expect(budget.due()).toEqual([])
    expect(budget.admit('v1', 'High')).toBe(true)
    expect(budget.admit('v1', 'High')).toBe(false)
  })
})

describe('FlapTracker', () => {
  it('flags a type that opens three times within the window, and keeps it flagged after a flapping episode ends', () => {
    const flaps = new FlapTracker({ opens: 3, windowMs: 10 * HOUR, quietMs: HOUR, quietWallMs: 60_000 })
    expect(flaps.opened('v', 'brake_wear', 0)).toBe(false)
    expect(flaps.opened('v', 'brake_wear', 4 * HOUR)).toBe(false)
    expect(flaps.opened('v', 'tire_pressure', 5 * HOUR)).toBe(false)
    expect(flaps.opened('v', 'brake_wear', 8 * HOUR)).toBe(true)
    // Held open for days, then resolved: a reopening soon after still flaps.
    flaps.ended('v', 'brake_wear', 100 * HOUR)
    expect(flaps.opened('v', 'brake_wear', 105 * HOUR)).toBe(true)
    // Openings spread wider than the window do not.
    expect(flaps.opened('v', 'tire_pressure', 20 * HOUR)).toBe(false)
    expect(flaps.opened('v', 'tire_pressure', 40 * HOUR)).toBe(false)
  })

  it('tells the owner of a flapping type again only at a higher severity', () => {
    const flaps = new FlapTracker()
    expect(flaps.worthTelling('v', 'battery_thermal', 'High')).toBe(true)
    flaps.told('v', 'battery_thermal', 'High')
    expect(flaps.worthTelling('v', 'battery_thermal', 'High')).toBe(false)
    expect(flaps.worthTelling('v', 'battery_thermal', 'Critical')).toBe(true)
  })
})

describe('VehicleRunQueue', () => {
  function queue(maxPending: number) {
    const failures: unknown[] = []
    const q = new VehicleRunQueue({
      urgent: 4,
      followUps: 4,
      maxPending,
      onFailure: (err) => failures.push(err),
    })
    return { q, failures }
  }

  /** Occupies the vehicle's lane until `release`, so later requests wait in its queue. */
  function busy(q: VehicleRunQueue, vehicleId: string) {
    const g = gate()
    q.request(vehicleId, 'busy', 3, () => g.opened)
    return g.open
  }

  it('folds later requests for an episode into its queued run, which runs once with the newest', async () => {
    const { q } = queue(10)
    const release = busy(q, 'v1')
    const ran: string[] = []
    q.request('v1', 'brake', 2, async () => void ran.push('high'))
    q.request('v1', 'brake', 3, async () => void ran.push('critical'))
    q.request('v1', 'tires', 2, async () => void ran.push('tires'))
    expect(q.stats).toMatchObject({ queuedRuns: 2, foldedRuns: 1 })
    release()
    await q.drain()
    // The most severe entry first, the folded one once with its latest job.
    expect(ran).toEqual(['critical', 'tires'])
  })

  it('sheds the least severe queued run when full, never a Critical one, and counts it', async () => {
    const { q } = queue(2)
    const releases = ['a', 'b', 'c', 'd'].map((v) => busy(q, v))
    const ran: string[] = []
    const shed: string[] = []
    const ask = (v: string, rank: number) =>
      q.request(
        v,
        'x',
        rank,
        async () => void ran.push(v),
        () => shed.push(v),
      )
    expect(ask('a', 0)).toBe(true)
    expect(ask('b', 2)).toBe(true)
    // Full: a High pushes out the Low.
    expect(ask('c', 2)).toBe(true)
    expect(shed).toEqual(['a'])
    // Nothing less severe than a Low is queued: the newcomer is shed.
    expect(ask('d', 0)).toBe(false)
    // Critical always gets in, past the bound.
    expect(ask('a', 3)).toBe(true)
    expect(q.stats).toMatchObject({ queuedRuns: 3, shedRuns: 2 })
    for (const release of releases) release()
    await q.drain()
    expect(ran.sort()).toEqual(['a', 'b', 'c'])
  })

  it('runs bookkeeping before the queued run, and drops queued runs (not bookkeeping) when stopping', async () => {
    const { q } = queue(10)
    const release = busy(q, 'v1')
    const done: string[] = []
    q.request('v1', 'brake', 2, async () => void done.push('run'))
    q.enqueue('v1', async () => void done.push('open row'))
    q.request('v1', 'tires', 1, async () => void done.push('cancelled'))
    q.cancel('v1', 'tires')
    expect(q.dropQueuedRuns()).toBe(1)
    release()
    await q.drain()
    expect(done).toEqual(['open row'])
    expect(q.stats).toMatchObject({ queuedRuns: 0, queuedOps: 0, droppedAtStop: 1, cancelledRuns: 1 })
  })
})
