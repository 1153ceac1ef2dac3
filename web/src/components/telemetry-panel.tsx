import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { api, query } from '../lib/api'
import { loadRange, RANGE_LABEL, RANGES, type RangeKey, rangeWindow } from '../lib/chart-data'
import { CHARTS, type ChartDef } from '../lib/chart-fields'
import { formatDateTime } from '../lib/format'
import { useAsync, useConnection, useSocket, useSocketMessage } from '../lib/hooks'
import { TelemetryBuffer } from '../lib/telemetry-buffer'
import type { Reading, RuleThreshold, TelemetryBucket } from '../lib/types'
import type { ThresholdLine } from './chart-options'
import { LiveChart } from './live-chart'
import { RangeChart } from './range-chart'
import { Loading } from './states'

/** Readings kept live per chart: a few minutes at the default replay pace (one reading every 2 s). */
export const LIVE_CAPACITY = 180
const HOUR_S = 3600

/** The rules' levels for one signal: High (amber) and Critical (red). */
export function thresholdsFor(rules: readonly RuleThreshold[] | undefined, signal: string): ThresholdLine[] {
  return (rules ?? [])
    .filter((r) => r.signal === signal)
    .flatMap((r) => [
      { value: r.threshold, label: `High ${r.threshold}`, color: '#8a5a00' },
      { value: r.critical, label: `Critical ${r.critical}`, color: '#b3261e' },
    ])
}

type RangeData = { xs: number[]; columns: Record<string, Array<number | null>>; step: number }

/** Stored readings, or hourly/daily averages, as chart columns. */
export function toColumns(rows: Array<Reading | TelemetryBucket>, fields: readonly ChartDef[]): RangeData {
  const xs = rows.map((r) => Date.parse(r.timestamp) / 1000)
  const columns: RangeData['columns'] = {}
  for (const { field } of fields) {
    columns[field] = rows.map((r) => {
      const v = 'avg' in r ? r.avg[field] : r[field]
      return typeof v === 'number' ? v : null
    })
  }
  const bucketed = rows.length > 1 && 'avg' in rows[0]!
  return { xs, columns, step: bucketed ? xs[1]! - xs[0]! : 0 }
}

/**
 * A vehicle's charts with a range picker: live (the stream, backfilled on load and again after every
 * reconnect, so an outage leaves no hole it could have filled), or the last hour, day, week or month
 * of stored telemetry, or a custom range. Every range ends at the vehicle's own clock (its newest
 * reading), the one clock of the dashboards.
 */
export function TelemetryPanel({ vin, fields = CHARTS }: { vin: string; fields?: readonly ChartDef[] }) {
  const buffer = useMemo(() => new TelemetryBuffer(LIVE_CAPACITY), [vin])
  const [range, setRange] = useState<RangeKey>('live')
  const [custom, setCustom] = useState({ from: '', to: '' })
  const [clock, setClock] = useState<number | null>(null)
  const rules = useAsync((signal) => api<RuleThreshold[]>('/api/rules/thresholds', { signal }), [])
  const lines = useMemo(
    () => Object.fromEntries(fields.map((f) => [f.field, thresholdsFor(rules.data, f.field)])),
    [rules.data, fields],
  )

  const backfill = (merge: boolean, signal?: AbortSignal) =>
    api<Reading[]>(`/api/vehicles/${encodeURIComponent(vin)}/telemetry?limit=${LIVE_CAPACITY}`, { signal })
      .then((readings) => {
        if (merge) buffer.merge(readings)
        else buffer.prepend(readings)
        const last = readings.at(-1)
        if (last) setClock((c) => Math.max(c ?? 0, Date.parse(last.timestamp)))
      })
      // The stream fills the charts anyway; a failed backfill only leaves them shorter.
      .catch(() => undefined)

  useEffect(() => {
    const controller = new AbortController()
    void backfill(false, controller.signal)
    return () => controller.abort()
  }, [vin, buffer])

  // Back online after an outage: what the server received meanwhile goes into the charts.
  const connection = useConnection()
  const wasDown = useRef(false)
  useEffect(() => {
    if (connection.state !== 'connected') {
      wasDown.current = true
      return
    }
    if (wasDown.current) void backfill(true)
    wasDown.current = false
  }, [connection.state])

  // Only this vehicle's readings on the wire; alerts, chat and bookings of the others still arrive.
  const socket = useSocket()
  useEffect(() => socket?.subscribe([vin]), [socket, vin])
  useSocketMessage('telemetry', (reading) => {
    if (reading.vin !== vin) return
    buffer.push(reading)
    if (range === 'live') setClock(Date.parse(reading.timestamp))
  })

  const span = rangeWindow(range, clock ?? Date.now(), {
    from: custom.from ? new Date(custom.from).toISOString() : undefined,
    to: custom.to ? new Date(custom.to).toISOString() : undefined,
  })
  const stored = useAsync<RangeData | null>(
    async (signal) => {
      if (!span) return null
      const rows = await loadRange(
        (params) =>
          api<Array<Reading | TelemetryBucket>>(
            `/api/vehicles/${encodeURIComponent(vin)}/telemetry${query(params)}`,
            { signal },
          ),
        range,
        span,
      )
      return toColumns(rows, fields)
    },
    [vin, range, span?.from, span?.to],
  )
  const pickerId = `range-${vin}`

  return (
    <div class="telemetry-panel" data-range={range}>
      <fieldset class="range-picker">
        <legend class="visually-hidden">Time range</legend>
        {RANGES.map((r) => (
          <button
            key={r}
            type="button"
            class={`btn btn-small${range === r ? ' btn-primary' : ' btn-ghost'}`}
            aria-pressed={range === r}
            data-range={r}
            onClick={() => setRange(r)}
          >
            {RANGE_LABEL[r]}
          </button>
        ))}
        <span class="small muted" data-testid="vehicle-clock">
          Vehicle clock: {clock ? formatDateTime(new Date(clock).toISOString()) : '—'}
        </span>
      </fieldset>
      {range === 'custom' && (
        <div class="filters">
          <label class="field field-inline" for={`${pickerId}-from`}>
            <span>From</span>
            <input
              id={`${pickerId}-from`}
              class="input"
              type="datetime-local"
              value={custom.from}
              onChange={(e) => setCustom({ ...custom, from: e.currentTarget.value })}
            />
          </label>
          <label class="field field-inline" for={`${pickerId}-to`}>
            <span>To</span>
            <input
              id={`${pickerId}-to`}
              class="input"
              type="datetime-local"
              value={custom.to}
              onChange={(e) => setCustom({ ...custom, to: e.currentTarget.value })}
            />
          </label>
        </div>
      )}
      {range === 'live' ? (
        <div class="charts">
          {fields.map((c) => (
            <LiveChart
              key={c.field}
              buffer={buffer}
              field={c.field}
              label={c.label}
              unit={c.unit}
              color={c.color}
              digits={c.digits}
              thresholds={lines[c.field]}
            />
          ))}
        </div>
      ) : !span ? (
        <p class="muted small">Pick a start (and, if you like, an end) for the range.</p>
      ) : stored.error ? (
        <p class="inline-error">Telemetry could not be loaded: {stored.error.message}</p>
      ) : !stored.data ? (
        <Loading label="Loading telemetry…" />
      ) : (
        <div class="charts">
          {fields.map((c) => (
            <RangeChart
              key={`${c.field}-${span.from}`}
              xs={stored.data!.xs}
              ys={stored.data!.columns[c.field] ?? []}
              field={c.field}
              minGap={stored.data!.step ? stored.data!.step * 1.5 : HOUR_S / 4}
              look={{
                label: c.label,
                unit: c.unit,
                color: c.color,
                digits: c.digits,
                height: 160,
                thresholds: lines[c.field],
              }}
            />
          ))}
        </div>
      )}
    </div>
  )
}
