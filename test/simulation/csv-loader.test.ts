import { afterAll, describe, expect, it } from 'vitest'
import { PUBLIC_COLUMNS } from '../../src/schemas/telemetry.js'
import { loadTelemetryCsv } from '../../src/simulation/csv-loader.js'
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

describe('loadTelemetryCsv', () => {
  it('loads our fleet format into columns, in file order, and logs one info line', async () => {
    const logger = recordingLogger()
    const { table, stats } = await loadTelemetryCsv(fixture('fleet-small.csv'), { logger })
    expect(stats).toMatchObject({
      rows: 12,
      vehicles: 3,
      skippedRows: 0,
      filledCells: 0,
      hasVinColumn: true,
      titleLineSkipped: false,
      firstTimestamp: '2026-10-01T00:00:00.000Z',
      lastTimestamp: '2026-10-01T00:45:00.000Z',
    })
    expect(table.vins).toEqual(['1HGBH41JXMN109186', '2FTRX18W1XCA01234', '5YJ3E1EA7KF317000'])
    expect(Array.from(table.vinIds.slice(0, 5))).toEqual([0, 0, 0, 0, 1])
    expect(table.columns.soc[0]).toBe(0.8)
    expect(table.columns.battery_current[0]).toBe(-33.5)
    expect(table.columns.component_health_score[11]).toBe(1.14)
    expect(logger.calls).toHaveLength(1)
    expect(logger.calls[0]).toMatchObject({ level: 'info', obj: { rows: 12, vehicles: 3 } })
  })

  it('attributes a VIN-less public file to defaultVin', async () => {
    const path = files.write('public.csv', [PUBLIC_HEADER, csvRow(quarterHour(0), sensorValues())].join('\n'))
    const { table, stats } = await loadTelemetryCsv(path, { defaultVin: 'PUBLIC-EV-1' })
    expect(stats).toMatchObject({ rows: 1, vehicles: 1, hasVinColumn: false })
    expect(table.vins).toEqual(['PUBLIC-EV-1'])
  })

  it('skips the one-cell title line some copies of the public file carry', async () => {
    const { stats } = await loadTelemetryCsv(fixture('public-title.csv'), { defaultVin: 'PUBLIC-EV-1' })
    expect(stats).toMatchObject({ rows: 3, titleLineSkipped: true, skippedRows: 0 })
  })

  it('refuses a VIN-less file without defaultVin, saying what to do', async () => {
    await expect(loadTelemetryCsv(fixture('public-title.csv'))).rejects.toThrow(
      /no VIN column.*pass the defaultVin option/,
    )
  })

  it('names the columns a header is missing', async () => {
    const header = PUBLIC_COLUMNS.filter((c) => c !== 'SoH' && c !== 'Motor_RPM').join(',')
    const path = files.write('missing.csv', `VIN,${header}\n`)
    await expect(loadTelemetryCsv(path)).rejects.toThrow(/missing required column\(s\) SoH, Motor_RPM/)
  })

  it('matches header names case-insensitively and trimmed, in any order', async () => {
    const columns = ['VIN', ...PUBLIC_COLUMNS]
    const order = columns.map((_, i) => i).reverse()
    const header = order.map((i) => ` ${columns[i]!.toUpperCase()} `).join(',')
    const cells = ['VIN-A', quarterHour(0), ...sensorValues()]
    const path = files.write('shuffled.csv', `${header}\n${order.map((i) => cells[i]).join(',')}\n`)
    const { table } = await loadTelemetryCsv(path)
    expect(table.vins).toEqual(['VIN-A'])
    expect(table.timestamps[0]).toBe(Date.UTC(2026, 9, 1))
    expect(table.columns.soc[0]).toBe(sensorValues()[0])
    expect(table.columns.component_health_score[0]).toBe(sensorValues()[28])
  })

  it("fills blank cells from the vehicle's own last plausible value, never a mean, and logs once", async () => {
    const logger = recordingLogger()
    const { table, stats } = await loadTelemetryCsv(fixture('fleet-dirty.csv'), { logger })
    expect(stats).toMatchObject({
      rows: 5,
      vehicles: 2,
      skippedRows: 3,
      skippedReasons: { badTimestamp: 1, wrongCellCount: 2, badVin: 0, malformed: 0 },
      filledCells: 5,
      filledByColumn: { soc: 2, battery_temperature: 1, motor_vibration: 1, motor_rpm: 1 },
      implausibleCells: 1,
      implausibleByColumn: { battery_temperature: 1 },
    })
    // Kept rows: 1HGBH 00:00, 2FTRX 00:00 (SoC blank), 1HGBH 00:15 (SoC n/a, vibration NaN),
    // 2FTRX 00:45 (temperature blank, RPM abc), 1HGBH 00:45 (temperature 1e9).
    // 2FTRX's first SoC has nothing before it: the median of its own SoC values (0.93).
    expect(Array.from(table.columns.soc)).toEqual([0.8, 0.93, 0.8, 0.93, 0.83])
    // The blank takes 2FTRX's 31 C, not a mean dragged to 2.5e8 by the 1e9 cell; that cell is
    // left for the pipeline to reject, and never copied anywhere.
    expect(Array.from(table.columns.battery_temperature)).toEqual([30.9, 31, 30.91, 31, 1e9])
    expect(table.columns.motor_vibration[2]).toBe(0.38)
    expect(table.columns.motor_rpm[3]).toBe(1794.1)
    expect(logger.calls).toHaveLength(1)
    expect(logger.calls[0]).toMatchObject({
      level: 'warn',
      obj: { skippedRows: 3, filledCells: 5, implausibleCells: 1 },
    })
  })

  it('fills from the last value before it in time, whatever the file order', async () => {
    const values = (temp: number | string) => sensorValues().map((v, k) => (k === 4 ? temp : v))
    const rows = [
      csvRow(quarterHour(2), values(''), 'VIN-A'),
      csvRow(quarterHour(0), values(20), 'VIN-A'),
      csvRow(quarterHour(3), values(40), 'VIN-A'),
      csvRow(quarterHour(1), values(25), 'VIN-A'),
      csvRow(quarterHour(1), values(70), 'VIN-B'),
    ]
    const path = files.write('unordered.csv', [FLEET_HEADER, ...rows].join('\n'))
    const { table } = await loadTelemetryCsv(path)
    expect(table.columns.battery_temperature[0]).toBe(25)
  })

  it('reads CRLF line endings and a UTF-8 BOM', async () => {
    const lines = [
      FLEET_HEADER,
      csvRow(quarterHour(0), sensorValues(), 'VIN-A'),
      csvRow(quarterHour(1), sensorValues(1), 'VIN-A'),
    ]
    const path = files.write('crlf.csv', `\uFEFF${lines.join('\r\n')}\r\n`)
    const { table, stats } = await loadTelemetryCsv(path)
    expect(stats).toMatchObject({ rows: 2, skippedRows: 0, filledCells: 0, hasVinColumn: true })
    expect(table.vins).toEqual(['VIN-A'])
    expect(table.columns.component_health_score[1]).toBe(sensorValues(1)[28])
  })

  it('skips rows with an empty or over-long VIN', async () => {
    const rows = ['', 'X'.repeat(33), 'VIN-A'].map((vin) => csvRow(quarterHour(0), sensorValues(), vin))
    const path = files.write('vins.csv', [FLEET_HEADER, ...rows].join('\n'))
    const { stats } = await loadTelemetryCsv(path)
    expect(stats).toMatchObject({ rows: 1, skippedRows: 2, skippedReasons: { badVin: 2 } })
  })

  it('leaves a column with no plausible value at all empty and says so', async () => {
    const values = sensorValues().map((v, k) => (k === 1 ? 'n/a' : v))
    const path = files.write('no-soh.csv', [FLEET_HEADER, csvRow(quarterHour(0), values, 'VIN-A')].join('\n'))
    const { table, stats } = await loadTelemetryCsv(path)
    expect(table.columns.soh[0]).toBeNaN()
    expect(stats.columnsWithoutValues).toEqual(['soh'])
  })

  it('grows its columns past the initial capacity without losing values', async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) =>
      csvRow(quarterHour(i), sensorValues(i), `VIN-${i % 7}`),
    )
    const path = files.write('big.csv', [FLEET_HEADER, ...rows].join('\n'))
    const { table, stats } = await loadTelemetryCsv(path, { chunkSize: 4096 })
    expect(stats).toMatchObject({ rows: 10_000, vehicles: 7 })
    expect(table.timestamps).toHaveLength(10_000)
    expect(table.columns.soc[9_999]).toBe(sensorValues(9_999)[0])
    expect(table.vins[table.vinIds[9_999]!]).toBe('VIN-3')
    expect(table.timestamps[9_999]).toBe(Date.UTC(2026, 9, 1) + 9_999 * 900_000)
  })

  it('rejects an empty file, a missing file and an unusable defaultVin; warns on a header-only file', async () => {
    await expect(loadTelemetryCsv(files.write('empty.csv', ''))).rejects.toThrow(/no header row/)
    await expect(loadTelemetryCsv(fixture('does-not-exist.csv'))).rejects.toThrow(/ENOENT/)
    await expect(loadTelemetryCsv(fixture('fleet-small.csv'), { defaultVin: ' ' })).rejects.toThrow(
      RangeError,
    )
    const logger = recordingLogger()
    const { stats } = await loadTelemetryCsv(files.write('header-only.csv', `${FLEET_HEADER}\n`), { logger })
    expect(stats).toMatchObject({ rows: 0, vehicles: 0, firstTimestamp: null, lastTimestamp: null })
    expect(logger.calls.map((c) => c.level)).toEqual(['warn'])
  })
})
