import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { fleetRowToReading } from '../../bench/lib/detection-eval.js'
import { SignalQuality } from '../../src/ingest/signal-quality.js'
import type { TelemetryReading } from '../../src/schemas/telemetry.js'
import { generateFleet } from '../../src/simulation/fleet-generator.js'
import { StreamEngine } from '../../src/simulation/stream-engine.js'
import { fixture } from '../fixtures/telemetry-csv.js'
import { makeReading, step } from '../helpers/readings.js'

async function replay(path: string): Promise<TelemetryReading[]> {
  const engine = new StreamEngine(path, { delaySeconds: 0, loop: false, defaultVin: 'PUBLIC' })
  const out: TelemetryReading[] = []
  for await (const r of engine.streamData()) out.push(r)
  return out
}

/** Per vehicle: implausible values, the worst invalid share and every stuck signal seen. */
function judge(readings: Iterable<TelemetryReading>) {
  const byVin = new Map<string, SignalQuality>()
  let invalid = 0
  let worstShare = 0
  const stuck = new Set<string>()
  for (const r of readings) {
    const q = byVin.get(r.vin) ?? new SignalQuality()
    byVin.set(r.vin, q)
    invalid += q.inspect({ ...r })
    worstShare = Math.max(worstShare, q.invalidShare)
    const s = q.stuck()
    if (s) stuck.add(`${r.vin} ${s.signal}`)
  }
  return { vehicles: byVin.size, invalid, worstShare, stuck: [...stuck] }
}

describe('SignalQuality on real and generated fleets: no false data-quality issue', () => {
  it('the shipped fleet', async () => {
    const r = judge(await replay(fileURLToPath(new URL('../../data/fleet_15min.csv', import.meta.url))))
    expect(r).toEqual({ vehicles: 10, invalid: 0, worstShare: 0, stuck: [] })
  })

  it('a fleet generated with another seed', () => {
    const { rows } = generateFleet({ seed: 7, days: 30 })
    expect(judge(rows.map(fleetRowToReading))).toMatchObject({ invalid: 0, worstShare: 0, stuck: [] })
  })

  it('the public-layout files: plain, with a title line, and dirty', async () => {
    expect(judge(await replay(fixture('fleet-small.csv')))).toMatchObject({ invalid: 0, stuck: [] })
    expect(judge(await replay(fixture('public-title.csv')))).toMatchObject({ vehicles: 1, invalid: 0 })
    // The dirty file's one implausible cell: its 1e9 battery temperature.
    const dirty = await replay(fixture('fleet-dirty.csv'))
    const q = new SignalQuality()
    const bad = dirty.filter((r) => r.vin === '1HGBH41JXMN109186').map((r) => ({ ...r }))
    expect(bad.map((r) => q.inspect(r))).toEqual([0, 0, 1])
    expect(bad[2]).toMatchObject({ battery_temperature: null, soc: 0.83 })
    expect(q.invalid).toEqual({ battery_temperature: 1 })
  })
})

describe('SignalQuality', () => {
  const at = (i: number) => step('2026-01-01T00:00:00Z', i)
  const wobbly = (i: number, temp = 30 + (i % 7) * 0.1) =>
    makeReading('V', at(i), { battery_temperature: temp })

  it('calls a signal stuck only after it was seen to vary on this vehicle', () => {
    const constant = new SignalQuality({ stuckReadings: 16, window: 64 })
    for (let i = 0; i < 40; i++) constant.inspect(makeReading('V', at(i)))
    expect(constant.stuck()).toBeNull()

    const q = new SignalQuality({ stuckReadings: 16, window: 64 })
    for (let i = 0; i < 20; i++) q.inspect(wobbly(i))
    for (let i = 20; i < 35; i++) q.inspect(wobbly(i, 31.5))
    expect(q.stuck()).toBeNull()
    q.inspect(wobbly(35, 31.5))
    expect(q.stuck()).toEqual({ signal: 'battery_temperature', value: 31.5, readings: 16 })
    q.inspect(wobbly(36))
    expect(q.stuck()).toBeNull()
  })

  it('does not count a run across a discontinuity', () => {
    const q = new SignalQuality({ stuckReadings: 16, window: 64 })
    for (let i = 0; i < 20; i++) q.inspect(wobbly(i))
    for (let i = 20; i < 30; i++) q.inspect(wobbly(i, 31.5))
    q.rebase()
    for (let i = 30; i < 40; i++) q.inspect(wobbly(i, 31.5))
    expect(q.stuck()).toBeNull()
  })

  it('measures the share of implausible readings over its window', () => {
    const q = new SignalQuality({ stuckReadings: 16, window: 8 })
    for (let i = 0; i < 8; i++) q.inspect(makeReading('V', at(i), i % 2 ? { motor_rpm: 1e9 } : {}))
    expect(q.invalidShare).toBe(0.5)
    for (let i = 8; i < 16; i++) q.inspect(makeReading('V', at(i)))
    expect(q.invalidShare).toBe(0)
    expect(q.invalid).toEqual({ motor_rpm: 4 })
  })
})
