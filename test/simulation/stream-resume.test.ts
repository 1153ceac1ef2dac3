import { describe, expect, it } from 'vitest'
import type { TelemetryReading } from '../../src/schemas/telemetry.js'
import { type StreamDataOptions, StreamEngine } from '../../src/simulation/stream-engine.js'
import { fixture, recordingLogger } from '../fixtures/telemetry-csv.js'

// 3 vehicles x 4 quarter-hours from 2026-10-01T00:00Z; a loop shifts time by one hour.
const FLEET_SMALL = fixture('fleet-small.csv')

async function take(
  engine: StreamEngine,
  limit: number,
  options: StreamDataOptions = {},
): Promise<TelemetryReading[]> {
  const out: TelemetryReading[] = []
  if (limit <= 0) return out
  for await (const reading of engine.streamData(options)) {
    out.push(reading)
    if (out.length >= limit) break
  }
  return out
}

const at = (iso: string) => new Date(iso)
const key = (r: TelemetryReading) => `${r.vin}@${r.timestamp}`

describe('StreamEngine resumeAfter', () => {
  it('continues a looping replay exactly after any stored timestamp, in any pass', async () => {
    const fresh = await take(new StreamEngine(FLEET_SMALL, { delaySeconds: 0 }), 12 * 4)
    const stamps = [...new Set(fresh.map((r) => r.timestamp))]
    expect(stamps).toHaveLength(16)
    for (const stamp of stamps.slice(0, 12)) {
      const rest = fresh.filter((r) => r.timestamp > stamp)
      const resumed = await take(new StreamEngine(FLEET_SMALL, { delaySeconds: 0 }), rest.length, {
        resumeAfter: at(stamp),
      })
      // Nothing at or before the stored timestamp again, nothing after it skipped, same order.
      expect(resumed.map(key)).toEqual(rest.map(key))
    }
  })

  it('sends the step a stop cut short again, only to the vehicles not stored at it', async () => {
    const fresh = await take(new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false }), 12)
    const cut = fresh[4]! // step 1 (00:15) of the second vehicle; the first one has it too
    const resumed = await take(new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false }), 100, {
      resumeAfter: async () => ({ after: at(cut.timestamp), stored: new Set([fresh[3]!.vin, cut.vin]) }),
    })
    expect(resumed.map(key)).toEqual(fresh.slice(5).map(key))
  })

  it('starts at the next step when the stored timestamp falls between steps, or from row 1 before the file', async () => {
    const between = await take(new StreamEngine(FLEET_SMALL, { delaySeconds: 0 }), 1, {
      resumeAfter: at('2026-10-01T01:20:00Z'),
    })
    expect(between[0]!.timestamp).toBe('2026-10-01T01:30:00.000Z')
    const before = await take(new StreamEngine(FLEET_SMALL, { delaySeconds: 0 }), 1, {
      resumeAfter: at('2020-01-01T00:00:00Z'),
    })
    expect(before[0]!.timestamp).toBe('2026-10-01T00:00:00.000Z')
  })

  it('jumps many passes ahead without replaying them, keeping the loop shift', async () => {
    // 1000 hours (passes) later, at the pass's third step.
    const stored = at(new Date(Date.parse('2026-10-01T00:30:00Z') + 1000 * 3_600_000).toISOString())
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 0 })
    const resumed = await take(engine, 6, { resumeAfter: stored })
    expect(resumed.map((r) => Date.parse(r.timestamp) - stored.getTime())).toEqual([
      ...[0, 0, 0].map(() => 900_000),
      ...[0, 0, 0].map(() => 1_800_000),
    ])
    expect(engine.stats.emitted).toBe(6)
  })

  it('yields nothing when a non-looping replay is all stored, and logs where it resumed', async () => {
    const logger = recordingLogger()
    const done = new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false, logger })
    expect(await take(done, 100, { resumeAfter: at('2026-10-01T00:45:00Z') })).toEqual([])
    expect(logger.calls.at(-1)).toMatchObject({ msg: 'replay has nothing after the last stored reading' })

    const partial = await take(done, 100, { resumeAfter: at('2026-10-01T00:15:00Z') })
    expect(partial.map((r) => r.timestamp)).toEqual([
      ...Array(3).fill('2026-10-01T00:30:00.000Z'),
      ...Array(3).fill('2026-10-01T00:45:00.000Z'),
    ])
    expect(logger.calls.at(-1)).toMatchObject({
      msg: 'replay resumes after the last stored reading',
      obj: {
        resume_after: '2026-10-01T00:15:00.000Z',
        loop: 0,
        step: 2,
        next_timestamp: '2026-10-01T00:30:00.000Z',
      },
    })
  })
})
