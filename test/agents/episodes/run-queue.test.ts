import { describe, expect, it } from 'vitest'
import { type AgentJob, VehicleRunQueue } from '../../../src/agents/episodes/run-queue.js'

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** A run that alerts, then holds its follow-up (the owner's message, the booking) until `release`. */
function slowRun(name: string, events: string[]) {
  const hold = gate()
  const job: AgentJob = async (turn) => {
    events.push(`${name} alert`)
    await turn.followUp()
    events.push(`${name} follow-up`)
    await hold.opened
    events.push(`${name} done`)
  }
  return { job, release: hold.open }
}

describe('VehicleRunQueue: one vehicle, several episodes', () => {
  const queue = () =>
    new VehicleRunQueue({ urgent: 4, followUps: 4, maxPending: 10, onFailure: (err) => console.error(err) })

  it("alerts a second episode while the first one's follow-up is still running, and keeps follow-ups in order", async () => {
    const q = queue()
    const events: string[] = []
    const brake = slowRun('brake', events)
    const battery = slowRun('battery', events)
    q.request('v1', 'brake', 2, brake.job)
    await settle()
    q.request('v1', 'battery', 3, battery.job)
    await settle()
    // The battery alert is out although the brake run has not finished; its follow-up waits.
    expect(events).toEqual(['brake alert', 'brake follow-up', 'battery alert'])
    battery.release()
    await settle()
    expect(events).toEqual(['brake alert', 'brake follow-up', 'battery alert'])
    brake.release()
    await q.drain()
    expect(events.slice(3)).toEqual(['brake done', 'battery follow-up', 'battery done'])
    expect(q.stats).toMatchObject({ followUpRuns: 0, followUpWaiting: 0, urgentRuns: 0 })
  })

  it('runs a resolve after the follow-ups started before it, other bookkeeping at once', async () => {
    const q = queue()
    const events: string[] = []
    const brake = slowRun('brake', events)
    q.request('v1', 'brake', 2, brake.job)
    await settle()
    q.enqueue('v1', async () => void events.push('resolve'), { afterRuns: true })
    q.enqueue('v1', async () => void events.push('open row'))
    await settle()
    // Bookkeeping stays in order: the open waits behind the resolve, which waits for the run.
    expect(events).toEqual(['brake alert', 'brake follow-up'])
    let drained = false
    void q.drain().then(() => {
      drained = true
    })
    await settle()
    expect(drained).toBe(false)
    brake.release()
    await settle()
    expect(events.slice(2)).toEqual(['brake done', 'resolve', 'open row'])
    expect(drained).toBe(true)

    // Without afterRuns, bookkeeping does not wait for a follow-up.
    const tires = slowRun('tires', events)
    q.request('v1', 'tires', 1, tires.job)
    await settle()
    q.enqueue('v1', async () => void events.push('escalate row'))
    await settle()
    expect(events.slice(-3)).toEqual(['tires alert', 'tires follow-up', 'escalate row'])
    tires.release()
    await q.drain()
    expect(events.at(-1)).toBe('tires done')
  })

  it('a run that fails in its follow-up does not stop the next one', async () => {
    const failures: unknown[] = []
    const q = new VehicleRunQueue({
      urgent: 1,
      followUps: 1,
      maxPending: 10,
      onFailure: (e) => failures.push(e),
    })
    const events: string[] = []
    q.request('v1', 'a', 2, async (turn) => {
      await turn.followUp()
      throw new Error('rca failed')
    })
    q.request('v1', 'b', 2, async (turn) => {
      await turn.followUp()
      events.push('b follow-up')
    })
    await q.drain()
    expect(events).toEqual(['b follow-up'])
    expect(failures).toHaveLength(1)
  })
})
