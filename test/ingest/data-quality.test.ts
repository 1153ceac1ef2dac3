import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { NUMERIC_FIELDS } from '../../src/schemas/telemetry.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { StreamEngine } from '../../src/simulation/stream-engine.js'
import { fixture, tempFiles } from '../fixtures/telemetry-csv.js'
import {
  bearer,
  createTestApp,
  DEMO,
  healthDetails,
  login,
  onboardVehicle,
  type TestApp,
} from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

const TEMP = NUMERIC_FIELDS.indexOf('battery_temperature')
const SOC = NUMERIC_FIELDS.indexOf('soc')

describe.each(DB_KINDS)('data-quality guards on %s', (kind) => {
  let t: TestApp
  let oem = ''
  const files = tempFiles()
  const prefix = kind === 'pglite' ? 'ZZDXPG' : 'ZZDXSV'
  let seq = 0

  const stored = async (vehicleId: string) => {
    await t.app.services.writer.flush()
    return t.db.db
      .selectFrom('telemetry_logs')
      .select(['ts', 'vals'])
      .where('vehicle_id', '=', vehicleId)
      .orderBy('ts')
      .execute()
  }
  const onboard = () => onboardVehicle(t.app, oem, `${prefix}${String(seq++).padStart(11, '0')}`, 'DQ EV')

  beforeAll(async () => {
    t = await createTestApp(kind)
    oem = await login(t.app, DEMO.manufacturer)
  })
  afterAll(async () => {
    await t.close()
    files.cleanup()
  })

  it('replays the dirty fixture without storing its 1e9 cell or a mean in its blank cells', async () => {
    // The dirty fixture's two VINs, renamed to two demo vehicles so the pipeline knows them.
    const [a, b] = [FLEET_VEHICLES[0]!, FLEET_VEHICLES[1]!]
    const text = readFileSync(fixture('fleet-dirty.csv'), 'utf8')
      .replaceAll('1HGBH41JXMN109186', a.vin)
      .replaceAll('2FTRX18W1XCA01234', b.vin)
    const engine = new StreamEngine(files.write('dirty.csv', text), { delaySeconds: 0, loop: false })
    const { pipeline, repos } = t.app.services
    const before = pipeline.stats.accepted
    pipeline.start({ streamData: () => engine.streamData(), stop: () => engine.stop() })
    await vi.waitFor(() => expect(pipeline.stats.accepted - before).toBe(5))
    const rowsA = await stored((await repos.vehicles.getByVin(a.vin))!.id)
    const rowsB = await stored((await repos.vehicles.getByVin(b.vin))!.id)
    expect(rowsA.map((r) => r.ts.toISOString().slice(11, 16))).toEqual(['00:00', '00:15', '00:45'])
    expect(rowsB.map((r) => r.ts.toISOString().slice(11, 16))).toEqual(['00:00', '00:45'])
    // 1e9 C is no measurement: stored as null, the reading's other signals kept.
    expect(rowsA.map((r) => r.vals[TEMP])).toEqual([30.9, 30.91, null])
    expect(rowsA[2]!.vals[SOC]).toBe(0.83)
    // The blank took the vehicle's own last value, not a mean dragged up by the 1e9 cell.
    expect(rowsB.map((r) => r.vals[TEMP])).toEqual([31, 31])
    for (const row of [...rowsA, ...rowsB]) {
      for (const v of row.vals) expect(v === null || (Number.isFinite(v) && Math.abs(v) < 1e6)).toBe(true)
    }
    expect(pipeline.vehicleState(a.vin)!.quality.invalid).toEqual({ battery_temperature: 1 })
  })

  it('takes a device reading with an implausible value, stores null for it and counts it per signal', async () => {
    const car = await onboard()
    const start = '2026-03-01T00:00:00.000Z'
    const { vin: _vin, ...good } = makeReading('X', start)
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/telemetry',
      headers: { ...bearer(car.token), 'content-type': 'application/json' },
      payload: [
        good,
        { ...good, timestamp: step(start, 1), battery_temperature: 1e9, tire_pressure: -5 },
        { ...good, timestamp: step(start, 2), soc: null },
      ],
    })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] })
    const rows = await stored(car.id)
    expect(rows.map((r) => r.vals[TEMP])).toEqual([30, null, 30])
    expect(rows[1]!.vals[NUMERIC_FIELDS.indexOf('tire_pressure')]).toBeNull()
    expect(rows[1]!.vals[SOC]).toBe(0.72)
    // A device's explicit null is no value, stored as such, and not counted as implausible.
    expect(rows[2]!.vals[SOC]).toBeNull()
    expect(t.app.services.pipeline.vehicleState(car.vin)!.quality.invalid).toEqual({
      battery_temperature: 1,
      tire_pressure: 1,
    })
    // Served as null, never as the number.
    const range = await t.app.inject({
      method: 'GET',
      url: `/api/vehicles/${car.vin}/telemetry?from=${start}&to=${step(start, 3)}&bucket=raw`,
      headers: bearer(oem),
    })
    expect(range.statusCode).toBe(200)
    expect(range.json().map((r: { battery_temperature: number | null }) => r.battery_temperature)).toEqual([
      30,
      null,
      30,
    ])
  })
})

describe('health with a replay file that cannot be read', () => {
  const files = tempFiles()
  afterAll(() => files.cleanup())

  it('is degraded with the reason when DATASET_PATH is missing, and ok with a readable file', async () => {
    const health = async (path: string, ready: (t: TestApp) => boolean) => {
      const t = await createTestApp('pglite', {
        STREAM_ENABLED: 'true',
        STREAM_DELAY_SECONDS: '0.05',
        DATASET_PATH: path,
      })
      try {
        await vi.waitFor(() => expect(ready(t)).toBe(true))
        const res = await healthDetails(t.app)
        expect(res.statusCode).toBe(200)
        return res.json()
      } finally {
        await t.close()
      }
    }
    const missing = files.write('x.csv', '').replace('x.csv', 'absent.csv')
    const bad = await health(missing, (t) => t.app.services.stream!.problem !== null)
    expect(bad.status).toBe('degraded')
    expect(bad.reasons).toEqual([
      expect.stringMatching(/^stream: cannot replay DATASET_PATH \(.*ENOENT.*absent\.csv/),
    ])
    expect(bad.components.stream.problem).toMatch(/ENOENT/)
    const good = await health(fixture('fleet-small.csv'), (t) => t.app.services.stream!.stats.rows === 12)
    expect(good).toMatchObject({ status: 'ok', reasons: [] })
  }, 60_000)
})
