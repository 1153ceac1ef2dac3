import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TelemetryReading } from '../../src/schemas/telemetry.js'
import { liveStamp, stepAtOrAfter } from '../../src/simulation/stream-clock.js'
import {
  type ReplayLedger,
  type ReplaySegment,
  type StreamDataOptions,
  StreamEngine,
} from '../../src/simulation/stream-engine.js'
import type { Timeline } from '../../src/simulation/stream-timeline.js'
import { fixture, recordingLogger } from '../fixtures/telemetry-csv.js'

// 3 vehicles x 4 quarter-hours from 2026-10-01T00:00Z (12 rows, 4 steps).
const FLEET_SMALL = fixture('fleet-small.csv')
const NOW = Date.parse('2026-12-04T18:00:00Z')

afterEach(() => {
  vi.useRealTimers()
})

/** What a reading is, apart from when it was sent: its vehicle and its values. */
const row = ({ timestamp: _t, ...rest }: TelemetryReading) => JSON.stringify(rest)

/** A ledger in memory, as the database keeps it. */
function memoryLedger(): ReplayLedger & { segments: ReplaySegment[] } {
  const segments: ReplaySegment[] = []
  return {
    segments,
    async segmentAt(at) {
      return segments.filter((s) => s.startedAt <= at).at(-1) ?? null
    },
    async begin(segment) {
      segments.push(segment)
    },
  }
}

/** An engine with its file loaded on the real clock, so fake timers only pace the replay. */
async function loaded(options: ConstructorParameters<typeof StreamEngine>[1]): Promise<StreamEngine> {
  const engine = new StreamEngine(FLEET_SMALL, options)
  await engine.loadData()
  return engine
}

/** Takes `limit` readings with fake timers moving, recording the clock when each arrived. */
async function takeTimed(engine: StreamEngine, limit: number, options: StreamDataOptions = {}) {
  const got: { reading: TelemetryReading; at: number }[] = []
  const done = (async () => {
    for await (const reading of engine.streamData(options)) {
      got.push({ reading, at: Date.now() })
      if (got.length >= limit) break
    }
  })()
  await vi.advanceTimersByTimeAsync(0)
  while (got.length < limit) await vi.advanceTimersByTimeAsync(250)
  await done
  return got
}

describe('StreamEngine live clock', () => {
  it('stamps each step with the wall clock as it sends it, one step per delay, never ahead of it', async () => {
    const recorded = new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false })
    const file: TelemetryReading[] = []
    for await (const r of recorded.streamData()) file.push(r)
    const live = await loaded({ delaySeconds: 2, clock: 'live' })
    vi.useFakeTimers({ now: NOW })
    const got = await takeTimed(live, 18) // six steps: the file's four, then two of the next pass
    const stamps = got.map((g) => Date.parse(g.reading.timestamp))
    expect([...new Set(stamps)]).toEqual([0, 1, 2, 3, 4, 5].map((k) => NOW + k * 2000))
    for (const g of got) expect(Date.parse(g.reading.timestamp)).toBeLessThanOrEqual(g.at)
    // The same rows in the same order as the file, wrapping around after the last one.
    expect(got.map((g) => row(g.reading))).toEqual([...file, ...file.slice(0, 6)].map(row))
    expect(live.stats.loops).toBe(1)
  })

  it('keeps its pace when the consumer is slow, instead of letting the stamps drift', async () => {
    const live = await loaded({ delaySeconds: 2, clock: 'live', loop: false })
    vi.useFakeTimers({ now: NOW })
    const stamps: number[] = []
    const done = (async () => {
      for await (const r of live.streamData()) {
        stamps.push(Date.parse(r.timestamp))
        // 1.5 s of work per step (the step's last reading): a fixed pause would fall behind.
        if (stamps.length % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 1500))
      }
    })()
    await vi.advanceTimersByTimeAsync(20_000)
    await done
    expect([...new Set(stamps)]).toEqual([0, 1, 2, 3].map((k) => NOW + k * 2000))
  })

  it('resumes after a restart at the step after the last stored one, with no row twice or skipped', async () => {
    const ledger = memoryLedger()
    const logger = recordingLogger()
    const before = await loaded({ delaySeconds: 2, clock: 'live' })
    const after = await loaded({ delaySeconds: 2, clock: 'live', logger })
    const whole: TelemetryReading[] = []
    for await (const r of new StreamEngine(FLEET_SMALL, { delaySeconds: 0 }).streamData()) {
      whole.push(r)
      if (whole.length === 18) break
    }
    vi.useFakeTimers({ now: NOW })
    const first = await takeTimed(before, 9, { ledger }) // steps 0-2
    const lastStored = new Date(first.at(-1)!.reading.timestamp)

    vi.setSystemTime(NOW + 3_600_000) // down for an hour
    // Step 3 (the file's last), then steps 0-1 of the next pass.
    const second = await takeTimed(after, 9, { ledger, resumeAfter: lastStored })
    expect(Date.parse(second[0]!.reading.timestamp)).toBe(NOW + 3_600_000)
    expect([...first, ...second].map((g) => row(g.reading))).toEqual(whole.map(row))
    expect(ledger.segments.map((s) => s.firstStep)).toEqual([0, 3])
    expect(logger.calls.at(-1)).toMatchObject({
      msg: 'replay resumes after the last stored reading',
      obj: { clock: 'live', loop: 0, step: 3 },
    })
  })

  it('sends the step a stop cut short again, to the vehicles that did not get it', async () => {
    const ledger = memoryLedger()
    const before = await loaded({ delaySeconds: 2, clock: 'live' })
    const after = await loaded({ delaySeconds: 2, clock: 'live' })
    const file: TelemetryReading[] = []
    for await (const r of new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false }).streamData()) {
      file.push(r)
    }
    vi.useFakeTimers({ now: NOW })
    const first = await takeTimed(before, 4, { ledger }) // step 0, and step 1 of one vehicle
    vi.setSystemTime(NOW + 60_000)
    const cut = first.at(-1)!.reading
    const second = await takeTimed(after, 8, {
      ledger,
      resumeAfter: async () => ({ after: new Date(cut.timestamp), stored: new Set([cut.vin]) }),
    })
    expect([...first, ...second].map((g) => row(g.reading))).toEqual(file.map(row))
    // The rest of step 1 goes out at once, stamped now; the next step one delay later.
    expect(second.map((g) => Date.parse(g.reading.timestamp) - NOW)).toEqual([
      60_000, 60_000, 62_000, 62_000, 62_000, 64_000, 64_000, 64_000,
    ])
  })

  it('continues after readings a recorded replay stored, found by their timestamps', async () => {
    const file: TelemetryReading[] = []
    for await (const r of new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false }).streamData()) {
      file.push(r)
    }
    const live = await loaded({ delaySeconds: 2, clock: 'live' })
    vi.useFakeTimers({ now: NOW })
    const got = await takeTimed(live, 3, {
      ledger: memoryLedger(),
      resumeAfter: new Date('2026-10-01T00:15:00Z'),
    })
    expect(got.map((g) => row(g.reading))).toEqual(file.slice(6, 9).map(row))
    expect(got[0]!.reading.timestamp).toBe(new Date(NOW).toISOString())
  })

  it('ends a non-looping live replay that has sent every row', async () => {
    const ledger = memoryLedger()
    await ledger.begin({ firstStep: 0, startedAt: new Date(NOW - 60_000), paceMs: 2000 })
    const engine = await loaded({ delaySeconds: 2, clock: 'live', loop: false })
    vi.useFakeTimers({ now: NOW })
    const got: TelemetryReading[] = []
    for await (const r of engine.streamData({ ledger, resumeAfter: new Date(NOW - 60_000 + 3 * 2000) })) {
      got.push(r)
    }
    expect(got).toEqual([])
    expect(ledger.segments).toHaveLength(1)
  })

  it('places a stored stamp on its step whatever the pace, fractions of a millisecond included', async () => {
    const ledger = memoryLedger()
    const segment = { firstStep: 7, startedAt: new Date(NOW), paceMs: 1.5 }
    await ledger.begin(segment)
    // Four quarter-hour steps; with a segment covering the stamp, only the segment decides.
    const timeline: Timeline = {
      steps: 4,
      stepStarts: Uint32Array.from([0, 3, 6, 9, 12]),
      stepTimes: Float64Array.from([0, 1, 2, 3].map((k) => Date.parse('2026-10-01') + k * 900_000)),
      stepIntervalMs: 900_000,
      loopShiftMs: 3_600_000,
    }
    for (let g = 7; g < 20; g++) {
      const stamp = liveStamp(segment, g)
      expect(Number.isInteger(stamp)).toBe(true)
      expect(await stepAtOrAfter(timeline, new Date(stamp), ledger, true)).toEqual({ step: g, exact: true })
      // Between two stamps (inside the segment): the later step is the next one, not yet sent.
      if (g > 7 && stamp - liveStamp(segment, g - 1) > 1)
        expect(await stepAtOrAfter(timeline, new Date(stamp - 1), ledger, true)).toEqual({
          step: g,
          exact: false,
        })
    }
  })

  it('refuses a live replay without a pace', () => {
    expect(() => new StreamEngine(FLEET_SMALL, { delaySeconds: 0, clock: 'live' })).toThrow(
      /delaySeconds > 0/,
    )
  })
})
