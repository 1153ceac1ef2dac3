import type uPlot from 'uplot'
import { formatNumber } from '../lib/format'

/** An alarm level drawn across a chart (from the rules table). */
export interface ThresholdLine {
  value: number
  label: string
  color: string
}

export interface SeriesLook {
  label: string
  unit: string
  color: string
  digits: number
  height: number
  thresholds?: readonly ThresholdLine[]
}

const AXIS = { stroke: '#3d4852', grid: { stroke: '#e3e8ee' }, ticks: { stroke: '#c5ced8' } }

/** Dashed horizontal lines at each threshold, labelled at the right edge. */
function thresholdPlugin(lines: readonly ThresholdLine[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx
        ctx.save()
        for (const line of lines) {
          const y = u.valToPos(line.value, 'y', true)
          if (!Number.isFinite(y) || y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue
          ctx.strokeStyle = line.color
          ctx.fillStyle = line.color
          ctx.setLineDash([6, 4])
          ctx.lineWidth = 1.5
          ctx.beginPath()
          ctx.moveTo(u.bbox.left, y)
          ctx.lineTo(u.bbox.left + u.bbox.width, y)
          ctx.stroke()
          ctx.font = `${11 * devicePixelRatio}px sans-serif`
          ctx.textAlign = 'right'
          ctx.fillText(line.label, u.bbox.left + u.bbox.width - 4, y - 4)
        }
        ctx.restore()
      },
    },
  }
}

/**
 * One signal's chart: the unit on the y axis and in the hover legend (the value under the cursor),
 * the vehicle's clock on the x axis, the thresholds drawn and kept in view, gaps left as gaps.
 */
export function seriesOptions(look: SeriesLook, width: number): uPlot.Options {
  const lines = look.thresholds ?? []
  const show = (v: number | null | undefined) =>
    v == null ? '—' : `${formatNumber(v, look.digits)} ${look.unit}`
  return {
    width,
    height: look.height,
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
    plugins: lines.length ? [thresholdPlugin(lines)] : [],
    scales: {
      x: { time: true },
      y: {
        // The first alarm level stays in view, so the line shows how far the signal is from it.
        range: (_u, min, max) => {
          const lo = Math.min(min, ...lines.slice(0, 1).map((l) => l.value))
          const hi = Math.max(max, ...lines.slice(0, 1).map((l) => l.value))
          const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1
          return [lo - pad, hi + pad]
        },
      },
    },
    axes: [
      { ...AXIS, label: 'vehicle clock', labelSize: 18, labelFont: '11px sans-serif' },
      { ...AXIS, size: 64, label: look.unit, labelSize: 18, labelFont: '11px sans-serif' },
    ],
    series: [
      { label: 'time', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleString()) },
      {
        label: look.label,
        stroke: look.color,
        width: 2,
        points: { show: false },
        spanGaps: false,
        value: (_u, v) => show(v),
      },
    ],
  }
}
