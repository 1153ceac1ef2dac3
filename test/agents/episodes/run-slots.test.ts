import { describe, expect, it } from 'vitest'
import { RunAdmission } from '../../../src/agents/episodes/run-slots.js'

/** A promise with its resolver, to hold a job at a point until the test lets it go on. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('RunAdmission', () => {
  it('lets a new run reach its alert while earlier runs wait in their follow-up', async () => {
    const admission = new RunAdmission({ urgent: 1, followUps: 1 })
    const events: string[] = []
    const holdFollowUp = gate()
    const run = (name: string) =>
      admission.run(async (turn) => {
        events.push(`${name} alert`)
        await turn.followUp()
        events.push(`${name} follow-up`)
        await holdFollowUp.opened
      })
    const all = [run('a'), run('b'), run('c')]
    await tick()
    // One urgent slot, yet all three alerted: the first run's slow follow-up does not hold it.
    expect(events).toEqual(['a alert', 'a follow-up', 'b alert', 'c alert'])
    expect(admission.stats).toMatchObject({ urgentRuns: 0, followUpRuns: 1, followUpWaiting: 2 })
    holdFollowUp.open()
    await Promise.all(all)
    expect(events.slice(4)).toEqual(['b follow-up', 'c follow-up'])
    expect(admission.stats).toEqual({ urgentRuns: 0, urgentWaiting: 0, followUpRuns: 0, followUpWaiting: 0 })
  })

  it('bounds the urgent phase and frees both slots when a run fails or never follows up', async () => {
    const admission = new RunAdmission({ urgent: 2, followUps: 1 })
    const hold = gate()
    let started = 0
    const urgentOnly = () =>
      admission.run(async () => {
        started++
        await hold.opened
      })
    const runs = [urgentOnly(), urgentOnly(), urgentOnly()]
    await tick()
    expect(started).toBe(2)
    expect(admission.stats.urgentWaiting).toBe(1)
    hold.open()
    await Promise.all(runs)
    expect(started).toBe(3)

    await expect(
      admission.run(async (turn) => {
        await turn.followUp()
        await turn.followUp() // idempotent: still one slot
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    await tick()
    expect(admission.stats).toEqual({ urgentRuns: 0, urgentWaiting: 0, followUpRuns: 0, followUpWaiting: 0 })
  })
})
