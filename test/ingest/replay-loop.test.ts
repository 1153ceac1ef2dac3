import { afterAll, describe, expect, it, vi } from 'vitest'
import { PUBLIC_COLUMNS } from '../../src/schemas/telemetry.js'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { FLEET_HEADER, quarterHour, tempFiles } from '../fixtures/telemetry-csv.js'
import { createTestApp } from '../helpers/app.js'
import { makeReading } from '../helpers/readings.js'

/**
 * Four days of one vehicle whose worn brake pads (0.60) are replaced three hours in (0.05).
 * Read once, nothing is wrong: the first hours fall in the baseline's warm-up and wear only
 * falls. Looped, every pass jumps from 0.05 back to 0.60, which a baseline that learned the new
 * pads takes for sudden wear.
 */
function padChangeFleet(vin: string): string {
  const base = makeReading(vin, quarterHour(0)) as Record<string, unknown>
  const rows = Array.from({ length: 384 }, (_, i) => {
    const wobble = Math.sin(i * 1.7) * 0.3 + Math.cos(i * 0.37) * 0.2
    const values: Record<string, number> = {
      ...(base as Record<string, number>),
      battery_temperature: 30 + wobble,
      battery_voltage: 380 + wobble,
      motor_temperature: 55 + wobble,
      tire_pressure: 33 + wobble / 10,
      brake_pad_wear: i < 12 ? 0.6 : 0.05 + i * 1e-5,
      tire_temperature: 30 + wobble,
      ambient_temperature: 15 + wobble,
    }
    const cells = PUBLIC_COLUMNS.slice(1).map((column) => values[column.toLowerCase()])
    return [vin, quarterHour(i), ...cells].join(',')
  })
  return [FLEET_HEADER, ...rows].join('\n')
}

describe('the replay looping', () => {
  const files = tempFiles()
  afterAll(() => files.cleanup())

  it('opens no drift episode on the second and later passes of a file that had none', async () => {
    const vehicle = FLEET_VEHICLES[0]!
    const t = await createTestApp('pglite', {
      STREAM_ENABLED: 'true',
      STREAM_DELAY_SECONDS: '0.001',
      DATASET_PATH: files.write('pads.csv', padChangeFleet(vehicle.vin)),
    })
    try {
      const { stream, episodes } = t.app.services
      await vi.waitFor(() => expect(stream!.stats.loops).toBeGreaterThanOrEqual(3), { timeout: 60_000 })
      t.app.services.stopIntake()
      await episodes.drain()
      expect(episodes.stats.analyzed).toBeGreaterThan(3 * 384)
      const events = await t.db.db.selectFrom('anomaly_events').select(['anomaly_type', 'reason']).execute()
      expect(events).toEqual([])
    } finally {
      await t.close()
    }
  }, 120_000)
})
