import type { Reading } from './types'

export const CHART_FIELDS = ['driving_speed', 'motor_rpm', 'battery_temperature', 'motor_vibration'] as const
export type ChartField = (typeof CHART_FIELDS)[number]

/**
 * The last `capacity` readings of one vehicle, as the column arrays uPlot draws (x in seconds).
 * Bounded so a tab left open for a day uses the same memory as one opened a minute ago.
 */
export class TelemetryBuffer {
  readonly xs: number[] = []
  readonly columns: Record<ChartField, number[]> = {
    driving_speed: [],
    motor_rpm: [],
    battery_temperature: [],
    motor_vibration: [],
  }
  /** Bumped on every change, so a view can tell whether it has drawn the latest data. */
  version = 0
  private readonly listeners = new Set<() => void>()

  constructor(readonly capacity = 300) {}

  get length(): number {
    return this.xs.length
  }

  get lastX(): number | undefined {
    return this.xs[this.xs.length - 1]
  }

  push(reading: Reading): void {
    const x = Date.parse(reading.timestamp) / 1000
    if (!Number.isFinite(x)) return
    const last = this.lastX
    if (last !== undefined && x === last) return // a duplicate (the backfill and the stream overlap)
    if (last !== undefined && x < last) this.clearColumns() // the replay started over
    this.xs.push(x)
    for (const f of CHART_FIELDS) this.columns[f].push(toNumber(reading[f]))
    this.trim()
    this.changed()
  }

  /** Older readings (the REST backfill) that arrive after live ones: only those before the first kept. */
  prepend(readings: Reading[]): void {
    const first = this.xs[0] ?? Number.POSITIVE_INFINITY
    const older = readings
      .map((r) => ({ r, x: Date.parse(r.timestamp) / 1000 }))
      .filter(({ x }) => Number.isFinite(x) && x < first)
      .sort((a, b) => a.x - b.x)
    if (older.length === 0) return
    this.xs.unshift(...older.map((o) => o.x))
    for (const f of CHART_FIELDS) this.columns[f].unshift(...older.map((o) => toNumber(o.r[f])))
    this.trim()
    this.changed()
  }

  /**
   * Readings missed while the connection was down (the backfill after a reconnect): each one not
   * already held goes in at its place in time; the newest `capacity` are kept.
   */
  merge(readings: Reading[]): void {
    const have = new Set(this.xs)
    const fresh = readings
      .map((r) => ({ r, x: Date.parse(r.timestamp) / 1000 }))
      .filter(({ x }) => Number.isFinite(x) && !have.has(x))
    if (fresh.length === 0) return
    const rows = this.xs.map((x, i) => ({ x, v: CHART_FIELDS.map((f) => this.columns[f][i]!) }))
    for (const { r, x } of fresh) rows.push({ x, v: CHART_FIELDS.map((f) => toNumber(r[f])) })
    rows.sort((a, b) => a.x - b.x)
    this.clearColumns()
    for (const row of rows) {
      this.xs.push(row.x)
      for (let i = 0; i < CHART_FIELDS.length; i++) this.columns[CHART_FIELDS[i]!].push(row.v[i]!)
    }
    this.trim()
    this.changed()
  }

  clear(): void {
    this.clearColumns()
    this.changed()
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private clearColumns(): void {
    this.xs.length = 0
    for (const f of CHART_FIELDS) this.columns[f].length = 0
  }

  private trim(): void {
    const excess = this.xs.length - this.capacity
    if (excess <= 0) return
    this.xs.splice(0, excess)
    for (const f of CHART_FIELDS) this.columns[f].splice(0, excess)
  }

  private changed(): void {
    this.version++
    for (const l of this.listeners) l()
  }
}

function toNumber(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN
}
