import { useEffect, useRef, useState } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { withGaps } from '../lib/chart-data'
import { formatNumber } from '../lib/format'
import type { ChartField, TelemetryBuffer } from '../lib/telemetry-buffer'
import { seriesOptions, type ThresholdLine } from './chart-options'

export interface LiveChartProps {
  buffer: TelemetryBuffer
  field: ChartField
  label: string
  unit: string
  color: string
  height?: number
  digits?: number
  /** Alarm levels to draw (keep the array stable: a new one rebuilds the plot). */
  thresholds?: readonly ThresholdLine[]
  /** Frame scheduler; tests pass a manual one. */
  schedule?: (cb: () => void) => number
  cancel?: (handle: number) => void
}

// Module-level so the chart's effect does not see new functions (and rebuild the plot) on each render.
const nextFrame = (cb: () => void) => requestAnimationFrame(cb)
const cancelFrame = (handle: number) => cancelAnimationFrame(handle)

/**
 * One live series, with the value under the cursor, the unit on its axis, the alarm levels drawn
 * and gaps in the readings left as gaps. Messages can arrive far faster than the screen refreshes, so a change only marks
 * the chart dirty and at most one redraw happens per animation frame, whatever the message rate.
 */
export function LiveChart({
  buffer,
  field,
  label,
  unit,
  color,
  height = 160,
  digits = 1,
  thresholds,
  schedule = nextFrame,
  cancel = cancelFrame,
}: LiveChartProps) {
  const host = useRef<HTMLDivElement>(null)
  const [latest, setLatest] = useState<number | undefined>(undefined)
  const [points, setPoints] = useState(0)
  const [lastX, setLastX] = useState<number | undefined>(undefined)

  useEffect(() => {
    const el = host.current
    if (!el) return
    const width = Math.max(200, el.clientWidth || 600)
    const look = { label, unit, color, digits, height, thresholds }
    const plot = new uPlot(seriesOptions(look, width), withGaps(buffer.xs, buffer.columns[field]), el)
    let frame: number | null = null
    const draw = () => {
      frame = null
      const ys = buffer.columns[field]
      // Copies (withGaps makes new arrays): uPlot keeps the arrays it is given and the buffer mutates its own.
      plot.setData(withGaps(buffer.xs, ys))
      setLatest(ys[ys.length - 1])
      setPoints(ys.length)
      setLastX(buffer.lastX)
    }
    const unsubscribe = buffer.subscribe(() => {
      if (frame === null) frame = schedule(draw)
    })
    draw()
    let observer: ResizeObserver | undefined
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver((entries) => {
        const w = Math.floor(entries[0]?.contentRect.width ?? 0)
        if (w > 0 && w !== plot.width) plot.setSize({ width: w, height })
      })
      observer.observe(el)
    }
    return () => {
      unsubscribe()
      observer?.disconnect()
      if (frame !== null) cancel(frame)
      plot.destroy()
    }
  }, [buffer, field, label, unit, color, digits, height, thresholds, schedule, cancel])

  return (
    <figure class="chart" data-field={field} data-points={points} data-last={lastX}>
      <figcaption>
        <span class="chart-label">{label}</span>
        <span class="chart-value" aria-live="off">
          {formatNumber(latest, digits)} <span class="unit">{unit}</span>
        </span>
      </figcaption>
      <div
        ref={host}
        class="chart-plot"
        role="img"
        aria-label={`${label}: ${points} recent readings, latest ${formatNumber(latest, digits)} ${unit}`}
      />
    </figure>
  )
}
