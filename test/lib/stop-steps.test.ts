import { describe, expect, it } from 'vitest'
import { StopSteps } from '../../src/lib/stop-steps.js'

describe('StopSteps', () => {
  it('names the step a stop hangs in, and the ones it finished', async () => {
    const steps = new StopSteps()
    await steps.run('mqtt', () => undefined)
    let release!: () => void
    const hung = steps.run('writer', () => new Promise<void>((resolve) => (release = resolve)))
    expect(steps.current).toBe('writer')
    expect(steps.done).toEqual(['mqtt'])
    release()
    await hung
    expect(steps.current).toBeUndefined()
    expect(steps.done).toEqual(['mqtt', 'writer'])
  })

  it('keeps a failed step as the current one and passes its error on', async () => {
    const steps = new StopSteps()
    await expect(steps.run('database', () => Promise.reject(new Error('gone')))).rejects.toThrow('gone')
    expect(steps.current).toBe('database')
    expect(steps.done).toEqual([])
  })
})
