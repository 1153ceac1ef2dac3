import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  NUMERIC_FIELDS,
  PUBLIC_COLUMNS,
  type TelemetryReading,
  TelemetryReadingSchema,
} from '../../src/schemas/telemetry.js'
import { StreamEngine } from '../../src/simulation/stream-engine.js'
import {
  csvRow,
  FLEET_HEADER,
  fixture,
  PUBLIC_HEADER,
  quarterHour,
  recordingLogger,
  sensorValues,
  tempFiles,
} from '../fixtures/telemetry-csv.js'

const files = tempFiles()
afterAll(() => files.cleanup())
afterEach(() => {
  vi.useRealTimers()
})

const FLEET_SMALL = fixture('fleet-small.csv')
const VINS = ['1HGBH41JXMN109186', '2FTRX18W1XCA01234', '5YJ3E1EA7KF317000']

/** Collects up to `limit` readings from a fresh stream, then stops taking more. */
async function take(engine: StreamEngine, limit = Number.POSITIVE_INFINITY): Promise<TelemetryReading[]> {
  const out: TelemetryReading[] = []
  if (limit <= 0) return out
  for await (const reading of engine.streamData()) {
    out.push(reading)
    if (out.length >= limit) break
  }
  return out
}

describe('StreamEngine readings', () => {
  it('yields schema-valid readings with exactly the canonical keys and JSON-safe values', async () => {
    const readings = await take(new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false }))
    expect(readings).toHaveLength(12)
    for (const reading of readings) {
      expect(Object.keys(reading)).toEqual(['vin', 'timestamp', ...NUMERIC_FIELDS])
      expect(TelemetryReadingSchema.parse(reading)).toEqual(reading)
      expect(JSON.parse(JSON.stringify(reading))).toEqual(reading)
      expect(reading.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    }
    expect(readings[0]).toMatchObject({ vin: VINS[0], timestamp: '2026-10-01T00:00:00.000Z', soc: 0.8 })
  })

  it('replays the fleet in time order, each timestamp’s readings together in VIN (file) order', async () => {
    // The fixture is grouped by VIN, as a per-vehicle generator would write it.
    const readings = await take(new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false }))
    const expected = [0, 1, 2, 3].flatMap((step) =>
      VINS.map((vin) => ({ vin, timestamp: new Date(Date.UTC(2026, 9, 1) + step * 900_000).toISOString() })),
    )
    expect(readings.map(({ vin, timestamp }) => ({ vin, timestamp }))).toEqual(expected)
  })
})

describe('StreamEngine timing', () => {
  it('yields the first step at once, then one step per delaySeconds, all of a step together', async () => {
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 2, loop: false })
    await engine.loadData()
    vi.useFakeTimers()
    const received: TelemetryReading[] = []
    const done = (async () => {
      for await (const reading of engine.streamData()) received.push(reading)
    })()

    await vi.advanceTimersByTimeAsync(0)
    expect(received.map((r) => r.vin)).toEqual(VINS)
    expect(new Set(received.map((r) => r.timestamp)).size).toBe(1)

    await vi.advanceTimersByTimeAsync(1999)
    expect(received).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(received).toHaveLength(6)
    expect(received.slice(3).map((r) => r.timestamp)).toEqual(Array(3).fill('2026-10-01T00:15:00.000Z'))

    await vi.advanceTimersByTimeAsync(1999)
    expect(received).toHaveLength(6)
    await vi.advanceTimersByTimeAsync(2001)
    expect(received).toHaveLength(12)
    await done
  })

  it('stop() during a long delay ends the consumer’s loop promptly', async () => {
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 60 })
    const received: TelemetryReading[] = []
    let endedAt = 0
    const done = (async () => {
      for await (const reading of engine.streamData()) received.push(reading)
      endedAt = performance.now()
    })()
    await vi.waitFor(() => expect(received).toHaveLength(3))
    await new Promise((resolve) => setTimeout(resolve, 20))
    const stoppedAt = performance.now()
    engine.stop()
    await done
    expect(endedAt - stoppedAt).toBeLessThan(100)
    expect(received).toHaveLength(3)
  })

  it('resolves a pending next() with done after stop(), and stops streams not yet started', async () => {
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 60 })
    const stream = engine.streamData()
    for (let i = 0; i < 3; i++) expect((await stream.next()).done).toBe(false)
    const pending = stream.next()
    const notStarted = engine.streamData()
    engine.stop()
    await expect(pending).resolves.toEqual({ done: true, value: undefined })
    await expect(notStarted.next()).resolves.toEqual({ done: true, value: undefined })
    // A stream asked for after stop() runs again.
    expect((await engine.streamData().next()).done).toBe(false)
  })

  it('serves many concurrent consumers from one engine, each with its own cursor, without warnings', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning)
    }
    process.on('warning', onWarning)
    try {
      const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 60 })
      const received = Array.from({ length: 50 }, () => [] as TelemetryReading[])
      const consumers = received.map(async (out) => {
        for await (const reading of engine.streamData()) out.push(reading)
      })
      await vi.waitFor(() => expect(received.every((out) => out.length === 3)).toBe(true))
      engine.stop()
      await Promise.all(consumers)
      expect(received.every((out) => out[0]!.vin === VINS[0])).toBe(true)
      expect(engine.stats.emitted).toBe(150)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('stop() from inside the consumer’s loop yields nothing more', async () => {
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 0 })
    let count = 0
    for await (const _ of engine.streamData()) {
      if (++count === 2) engine.stop()
    }
    expect(count).toBe(2)
  })
})

describe('StreamEngine looping', () => {
  it('restarts at the end with timestamps shifted forward by span + one interval', async () => {
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 0 })
    const readings = await take(engine, 12 * 3)
    const times = readings.map((r) => Date.parse(r.timestamp))
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!)
    // Across each loop boundary time moves on by exactly one 15-minute step.
    expect(times[12]! - times[11]!).toBe(900_000)
    expect(times[24]! - times[23]!).toBe(900_000)
    expect(readings[12]).toMatchObject({ vin: VINS[0], timestamp: '2026-10-01T01:00:00.000Z', soc: 0.8 })
    expect(engine.stats).toMatchObject({ emitted: 36, loops: 2, steps: 4, stepIntervalMs: 900_000 })
  })

  it('learns the step interval as the most common gap', async () => {
    // Gaps of 15, 15 and 30 minutes: the interval is 15, so the loop shifts by 60 + 15 minutes.
    const rows = [0, 1, 2, 4].map((step) => csvRow(quarterHour(step), sensorValues(step), 'VIN-A'))
    const path = files.write('gaps.csv', [FLEET_HEADER, ...rows].join('\n'))
    const engine = new StreamEngine(path, { delaySeconds: 0 })
    const readings = await take(engine, 5)
    expect(engine.stats.stepIntervalMs).toBe(900_000)
    expect(readings[4]!.timestamp).toBe('2026-10-01T01:15:00.000Z')
  })

  it('ends at the last row with loop: false', async () => {
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false })
    expect(await take(engine)).toHaveLength(12)
    expect(engine.stats).toMatchObject({ emitted: 12, loops: 0 })
  })
})

describe('StreamEngine input formats', () => {
  it('streams the public VIN-less format under defaultVin', async () => {
    const rows = [0, 1].map((step) => csvRow(quarterHour(step), sensorValues(step)))
    const path = files.write('public.csv', [PUBLIC_HEADER, ...rows].join('\n'))
    const readings = await take(
      new StreamEngine(path, { delaySeconds: 0, defaultVin: 'PUBLIC-EV-1', loop: false }),
    )
    expect(readings.map((r) => r.vin)).toEqual(['PUBLIC-EV-1', 'PUBLIC-EV-1'])
    for (const reading of readings) TelemetryReadingSchema.parse(reading)
  })

  it('streams a public file that starts with a one-cell title line', async () => {
    const engine = new StreamEngine(fixture('public-title.csv'), {
      delaySeconds: 0,
      defaultVin: 'X',
      loop: false,
    })
    expect(await take(engine)).toHaveLength(3)
    expect(engine.stats.titleLineSkipped).toBe(true)
  })

  it('fails clearly on a VIN-less file without defaultVin and on a header missing columns', async () => {
    await expect(new StreamEngine(fixture('public-title.csv')).streamData().next()).rejects.toThrow(
      /no VIN column.*defaultVin/,
    )
    const header = PUBLIC_COLUMNS.filter((c) => c !== 'Battery_Temperature').join(',')
    const path = files.write('no-temp.csv', `VIN,${header}\n`)
    await expect(new StreamEngine(path).loadData()).rejects.toThrow(
      /missing required column\(s\) Battery_Temperature/,
    )
  })

  it('streams only the good rows of a dirty file, with counts, logging once however often it loads', async () => {
    const logger = recordingLogger()
    const engine = new StreamEngine(fixture('fleet-dirty.csv'), { delaySeconds: 0, loop: false, logger })
    await Promise.all([engine.loadData(), engine.loadData()])
    const readings = await take(engine)
    expect(readings).toHaveLength(5)
    for (const reading of readings) TelemetryReadingSchema.parse(reading)
    expect(engine.stats).toMatchObject({
      rows: 5,
      skippedRows: 3,
      skippedReasons: { badTimestamp: 1, wrongCellCount: 2 },
      filledCells: 5,
      filledByColumn: { soc: 2, battery_temperature: 1, motor_vibration: 1, motor_rpm: 1 },
      implausibleCells: 1,
      emitted: 5,
    })
    expect(logger.calls).toHaveLength(1)
    expect(logger.calls[0]!.level).toBe('warn')
  })

  it('streams a file with CRLF line endings and a UTF-8 BOM', async () => {
    const lines = [
      FLEET_HEADER,
      csvRow(quarterHour(0), sensorValues(), 'VIN-A'),
      csvRow(quarterHour(1), sensorValues(1), 'VIN-A'),
    ]
    const path = files.write('crlf.csv', `\uFEFF${lines.join('\r\n')}\r\n`)
    const readings = await take(new StreamEngine(path, { delaySeconds: 0, loop: false }))
    expect(readings.map((r) => [r.vin, r.timestamp])).toEqual([
      ['VIN-A', '2026-10-01T00:00:00.000Z'],
      ['VIN-A', '2026-10-01T00:15:00.000Z'],
    ])
    expect(readings[1]!.component_health_score).toBe(sensorValues(1)[28])
  })

  it('tells its consumer of each wrap-around, before the first reading of the next pass', async () => {
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 0 })
    const seen: string[] = []
    for await (const r of engine.streamData({ onDiscontinuity: () => seen.push('jump') })) {
      seen.push(r.timestamp.slice(11, 16))
      if (seen.length >= 28) break
    }
    // 12 readings a pass at 4 timestamps: 00:00-00:45, then 01:00-01:45 shifted.
    expect(seen.slice(10, 14)).toEqual(['00:45', '00:45', 'jump', '01:00'])
    expect(seen.filter((s) => s === 'jump')).toHaveLength(2)
  })

  it.each([
    ['missing', () => files.write('gone.csv', '').replace('gone.csv', 'absent.csv'), /ENOENT/],
    ['empty', () => files.write('empty.csv', ''), /no header row/],
    [
      'garbage',
      () => files.write('garbage.csv', '\x00\x01binary,junk\nmore junk\n'),
      /missing required column/,
    ],
    ['header only', () => files.write('header.csv', `${FLEET_HEADER}\n`), /no readable telemetry rows/],
  ])('says why it has nothing to replay when the file is %s', async (_name, path, reason) => {
    const engine = new StreamEngine(path(), { delaySeconds: 0, loop: false })
    expect(engine.problem).toBeNull()
    await engine.loadData().catch(() => undefined)
    expect(engine.problem).toMatch(reason)
  })

  it('has no problem with a readable file', async () => {
    const engine = new StreamEngine(FLEET_SMALL, { delaySeconds: 0, loop: false })
    await engine.loadData()
    expect(engine.problem).toBeNull()
  })

  it('rejects a negative or non-finite delay', () => {
    expect(() => new StreamEngine(FLEET_SMALL, { delaySeconds: -1 })).toThrow(RangeError)
    expect(() => new StreamEngine(FLEET_SMALL, { delaySeconds: Number.NaN })).toThrow(RangeError)
  })
})

describe('StreamEngine on the shipped fleet file', () => {
  const FLEET_FILE = fileURLToPath(new URL('../../data/fleet_15min.csv', import.meta.url))

  it('replays data/fleet_15min.csv: 10 vehicles, clean rows, time never going backwards', async () => {
    expect(existsSync(FLEET_FILE), `${FLEET_FILE} is missing: generate it with \`npm run dataset\``).toBe(
      true,
    )
    const engine = new StreamEngine(FLEET_FILE, { delaySeconds: 0, loop: false })
    const stats = await engine.loadData()
    expect(stats).toMatchObject({ vehicles: 10, hasVinColumn: true, skippedRows: 0, filledCells: 0 })
    let previous = Number.NEGATIVE_INFINITY
    let count = 0
    for await (const reading of engine.streamData()) {
      const time = Date.parse(reading.timestamp)
      if (time < previous) expect.fail(`timestamp went backwards at reading ${count}: ${reading.timestamp}`)
      previous = time
      if (count++ % 97 === 0) TelemetryReadingSchema.parse(reading)
    }
    expect(count).toBe(stats.rows)
  })
})
