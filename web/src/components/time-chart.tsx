import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface TimeSeries {
  label: string
  color: string
  values: Array<number | null>
  /** Series with different units get their own y scale and axis. */
  scale: string
}

/** A static chart of a few series over time, with an optional marker (an anomaly's detection time). */
export function TimeChart({
  xs,
  series,
  markerX,
  height = 200,
  label,
}: {
  xs: number[]
  series: TimeSeries[]
  markerX?: number
  height?: number
  label: string
}) {
  const host = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const el = host.current
    if (!el) return
    const scales = [...new Set(series.map((s) => s.scale))]
    const marker: uPlot.Plugin = {
      hooks: {
        draw: (u) => {
          if (markerX === undefined) return
          const x = u.valToPos(markerX, 'x', true)
          const ctx = u.ctx
          ctx.save()
          ctx.strokeStyle = '#b3261e'
          ctx.setLineDash([6, 4])
          ctx.lineWidth = 2
          ctx.beginPath()
          ctx.moveTo(x, u.bbox.top)
          ctx.lineTo(x, u.bbox.top + u.bbox.height)
          ctx.stroke()
          ctx.restore()
        },
      },
    }
    const plot = new uPlot(
      {
        width: Math.max(240, el.clientWidth || 600),
        height,
        plugins: [marker],
        scales: { x: { time: true } },
        axes: [
          { stroke: '#3d4852', grid: { stroke: '#e3e8ee' } },
          ...scales.map((scale, i) => ({
            scale,
            side: i === 0 ? 3 : 1,
            stroke: '#3d4852',
            grid: { show: i === 0, stroke: '#e3e8ee' },
            size: 52,
          })),
        ],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            scale: s.scale,
            points: { show: false },
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    )
    let observer: ResizeObserver | undefined
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver((entries) => {
        const w = Math.floor(entries[0]?.contentRect.width ?? 0)
        if (w > 0 && w !== plot.width) plot.setSize({ width: w, height })
      })
      observer.observe(el)
    }
    return () => {
      observer?.disconnect()
      plot.destroy()
    }
  }, [xs, series, markerX, height])

  return <div ref={host} class="chart-plot" role="img" aria-label={label} />
}
