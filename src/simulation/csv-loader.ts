import { canonicalName, NUMERIC_FIELDS, type NumericField, PUBLIC_COLUMNS } from '../schemas/telemetry.js'
import { parseNumberCell, parseTimestamp } from './csv-cells.js'
import { fillHoles } from './csv-fill.js'
import { forEachCsvRecord } from './csv-records.js'

/** What loading a telemetry file found; cheap to copy into a health/status response. */
export interface LoadStats {
  /** Good rows loaded. */
  rows: number
  /** Distinct VINs among the good rows. */
  vehicles: number
  skippedRows: number
  skippedReasons: {
    badTimestamp: number
    wrongCellCount: number
    /** Empty or longer than 32 characters (the schema's limit). */
    badVin: number
    /** Rejected by the CSV parser, e.g. an unterminated quote. */
    malformed: number
  }
  /** Blank or non-numeric cells, filled from the vehicle's last plausible value (see `fillHoles`). */
  filledCells: number
  /** Per canonical column name; only columns that needed filling appear. */
  filledByColumn: Record<string, number>
  /** Cells outside their signal's plausible range: left as they are for the pipeline to reject. */
  implausibleCells: number
  implausibleByColumn: Record<string, number>
  /** Columns with no plausible value at all: their blank cells stay empty (null in the readings). */
  columnsWithoutValues: string[]
  hasVinColumn: boolean
  titleLineSkipped: boolean
  firstTimestamp: string | null
  lastTimestamp: string | null
  loadMs: number
}

/** Telemetry held column-wise: ~240 bytes per row instead of a 31-property object each. */
export interface TelemetryTable {
  length: number
  /** Epoch milliseconds, UTC. */
  timestamps: Float64Array
  /** Index into `vins`, per row. */
  vinIds: Uint32Array
  vins: string[]
  columns: Record<NumericField, Float64Array>
}

export interface LoadLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

export interface LoadOptions {
  /** VIN for every reading of a file without a VIN column (the public format). */
  defaultVin?: string
  logger?: LoadLogger
  /** Read size in bytes; tests shrink it to exercise chunk boundaries. */
  chunkSize?: number
}

const MAX_VIN_LENGTH = 32
const INITIAL_CAPACITY = 4096

export function isValidVin(vin: string): boolean {
  const trimmed = vin.trim()
  return trimmed !== '' && trimmed.length <= MAX_VIN_LENGTH
}

export function emptyLoadStats(): LoadStats {
  return {
    rows: 0,
    vehicles: 0,
    skippedRows: 0,
    skippedReasons: { badTimestamp: 0, wrongCellCount: 0, badVin: 0, malformed: 0 },
    filledCells: 0,
    filledByColumn: {},
    implausibleCells: 0,
    implausibleByColumn: {},
    columnsWithoutValues: [],
    hasVinColumn: false,
    titleLineSkipped: false,
    firstTimestamp: null,
    lastTimestamp: null,
    loadMs: 0,
  }
}

interface HeaderLayout {
  cellCount: number
  timestampIndex: number
  vinIndex: number
  /** Cell position of each NUMERIC_FIELDS entry, in that order. */
  numericIndex: Int32Array
}

function readHeader(filePath: string, cells: string[], defaultVin: string | undefined): HeaderLayout {
  const positions = new Map<string, number>()
  cells.forEach((cell, i) => {
    const name = canonicalName(cell.replace(/^\uFEFF/, ''))
    if (name !== '' && !positions.has(name)) positions.set(name, i)
  })
  const missing = PUBLIC_COLUMNS.filter((column) => !positions.has(canonicalName(column)))
  if (missing.length > 0) {
    const found = cells.slice(0, 6).join(',') + (cells.length > 6 ? ',...' : '')
    throw new Error(
      `${filePath}: header is missing required column(s) ${missing.join(', ')} ` +
        `(expected an optional VIN column plus the ${PUBLIC_COLUMNS.length} public columns; found "${found}")`,
    )
  }
  const vinIndex = positions.get('vin') ?? -1
  if (vinIndex < 0 && defaultVin === undefined) {
    throw new Error(
      `${filePath}: the file has no VIN column (the public single-vehicle format); ` +
        'pass the defaultVin option to attribute its readings to one vehicle',
    )
  }
  return {
    cellCount: cells.length,
    timestampIndex: positions.get('timestamp')!,
    vinIndex,
    numericIndex: Int32Array.from(NUMERIC_FIELDS, (field) => positions.get(field)!),
  }
}

function grow<T extends Float64Array | Uint32Array>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(capacity)
  bigger.set(array)
  return bigger
}

/**
 * Streams a telemetry CSV (our fleet format `VIN,Timestamp,...` or the public 30-column format,
 * optionally preceded by a one-cell title line) into a column-wise table, in file order.
 *
 * Blank or non-numeric cells become NaN while parsing and are then filled from the same vehicle's
 * last plausible value (`fillHoles`); rows with a bad timestamp, a bad VIN or the wrong number of
 * cells are dropped. Both are counted and logged once at the end, never per row.
 */
export async function loadTelemetryCsv(
  filePath: string,
  options: LoadOptions = {},
): Promise<{ table: TelemetryTable; stats: LoadStats }> {
  const started = performance.now()
  const { defaultVin } = options
  if (defaultVin !== undefined && !isValidVin(defaultVin)) {
    throw new RangeError(
      `defaultVin must be 1-${MAX_VIN_LENGTH} characters, got ${JSON.stringify(defaultVin)}`,
    )
  }
  const stats = emptyLoadStats()
  const fieldCount = NUMERIC_FIELDS.length
  let capacity = INITIAL_CAPACITY
  let timestamps = new Float64Array(capacity)
  let vinIds = new Uint32Array(capacity)
  let columns = Array.from({ length: fieldCount }, () => new Float64Array(capacity))
  const vins: string[] = []
  const vinIdByName = new Map<string, number>()
  let n = 0
  let layout: HeaderLayout | undefined
  let firstRecord = true
  // Consecutive rows usually share a VIN (per-vehicle order) or a timestamp (per-step order).
  let lastTimestampText = ''
  let lastTimestampMs = Number.NaN
  let lastVinText = ''
  let lastVinId = -1

  const vinIdFor = (text: string): number => {
    if (text === lastVinText) return lastVinId
    if (!isValidVin(text)) return -1
    const vin = text.trim()
    let id = vinIdByName.get(vin)
    if (id === undefined) {
      id = vins.push(vin) - 1
      vinIdByName.set(vin, id)
    }
    lastVinText = text
    lastVinId = id
    return id
  }

  const onRecord = (cells: string[]): void => {
    if (layout === undefined) {
      if (firstRecord && cells.length === 1 && canonicalName(cells[0] ?? '') !== 'timestamp') {
        firstRecord = false
        stats.titleLineSkipped = true
        return
      }
      firstRecord = false
      layout = readHeader(filePath, cells, defaultVin)
      stats.hasVinColumn = layout.vinIndex >= 0
      if (!stats.hasVinColumn) vinIdFor(defaultVin!)
      return
    }
    if (cells.length !== layout.cellCount) {
      stats.skippedReasons.wrongCellCount++
      return
    }
    const tsText = cells[layout.timestampIndex]!
    if (tsText !== lastTimestampText) {
      lastTimestampText = tsText
      lastTimestampMs = parseTimestamp(tsText)
    }
    if (Number.isNaN(lastTimestampMs)) {
      stats.skippedReasons.badTimestamp++
      return
    }
    const vinId = layout.vinIndex >= 0 ? vinIdFor(cells[layout.vinIndex]!) : 0
    if (vinId < 0) {
      stats.skippedReasons.badVin++
      return
    }
    if (n === capacity) {
      capacity *= 2
      timestamps = grow(timestamps, capacity)
      vinIds = grow(vinIds, capacity)
      columns = columns.map((column) => grow(column, capacity))
    }
    timestamps[n] = lastTimestampMs
    vinIds[n] = vinId
    const index = layout.numericIndex
    for (let k = 0; k < fieldCount; k++) {
      columns[k]![n] = parseNumberCell(cells[index[k]!]!)
    }
    n++
  }

  await forEachCsvRecord(filePath, onRecord, {
    chunkSize: options.chunkSize,
    onMalformed: () => {
      stats.skippedReasons.malformed++
    },
  })
  if (layout === undefined) throw new Error(`${filePath}: no header row found (the file is empty)`)

  const fill = fillHoles(columns, n, timestamps, vinIds, vins.length)
  stats.filledByColumn = fill.filledByColumn
  stats.filledCells = Object.values(fill.filledByColumn).reduce((a, b) => a + b, 0)
  stats.implausibleByColumn = fill.implausibleByColumn
  stats.implausibleCells = Object.values(fill.implausibleByColumn).reduce((a, b) => a + b, 0)
  stats.columnsWithoutValues = fill.columnsWithoutValues

  // Trim the doubling slack so a loaded 175k-row file holds ~42 MB, not up to twice that.
  const columnRecord = {} as Record<NumericField, Float64Array>
  NUMERIC_FIELDS.forEach((field, k) => {
    columnRecord[field as NumericField] = columns[k]!.slice(0, n)
  })
  const table: TelemetryTable = {
    length: n,
    timestamps: timestamps.slice(0, n),
    vinIds: vinIds.slice(0, n),
    vins,
    columns: columnRecord,
  }

  const reasons = stats.skippedReasons
  stats.skippedRows = reasons.badTimestamp + reasons.wrongCellCount + reasons.badVin + reasons.malformed
  stats.rows = n
  // Every registered VIN has at least one stored row, except the default VIN of an empty file.
  stats.vehicles = n > 0 ? vins.length : 0
  if (n > 0) {
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    for (let i = 0; i < n; i++) {
      const t = table.timestamps[i]!
      if (t < min) min = t
      if (t > max) max = t
    }
    stats.firstTimestamp = new Date(min).toISOString()
    stats.lastTimestamp = new Date(max).toISOString()
  }
  stats.loadMs = Math.round(performance.now() - started)

  const summary = { file: filePath, ...stats }
  if (stats.skippedRows > 0 || stats.filledCells > 0 || stats.implausibleCells > 0 || n === 0) {
    options.logger?.warn(summary, 'telemetry file loaded with skipped rows, filled or implausible cells')
  } else {
    options.logger?.info(summary, 'telemetry file loaded')
  }
  return { table, stats }
}
