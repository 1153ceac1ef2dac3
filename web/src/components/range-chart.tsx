import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { withGaps } from '../lib/chart-data'
import { formatNumber } from '../lib/format'
import { type SeriesLook, seriesOptions } from './chart-options'

/** One signal over a chosen time range (stored readings or hourly/daily averages), drawn once. */
export function RangeChart({
  xs,
  ys,
  field,
  look,
  minGap,
}: {
  xs: number[]
  ys: Array<number | null>
  field: string
  look: SeriesLook
  /** The step of the data (an hour for hourly buckets): only gaps longer than a few steps break the line. */
  minGap?: number
}) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = host.current
    if (!el) return
    const plot = new uPlot(
      seriesOptions(look, Math.max(200, el.clientWidth || 600)),
      withGaps(xs, ys as number[], { minGap }),
      el,
    )
    let observer: ResizeObserver | undefined
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver((entries) => {
        const w = Math.floor(entries[0]?.contentRect.width ?? 0)
        if (w > 0 && w !== plot.width) plot.setSize({ width: w, height: look.height })
      })
      observer.observe(el)
    }
    return () => {
      observer?.disconnect()
      plot.destroy()
    }
  }, [xs, ys, look, minGap])
  const values = ys.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  const lo = values.length ? Math.min(...values) : undefined
  const hi = values.length ? Math.max(...values) : undefined
  const span = `${formatNumber(lo, look.digits)} to ${formatNumber(hi, look.digits)} ${look.unit}`
  return (
    <figure class="chart" data-field={field} data-points={values.length} data-last={xs.at(-1)}>
      <figcaption>
        <span class="chart-label">{look.label}</span>
        <span class="chart-value">{values.length ? span : 'no readings'}</span>
      </figcaption>
      <div
        ref={host}
        class="chart-plot"
        role="img"
        aria-label={`${look.label}: ${values.length} points in the range, ${span}`}
      />
    </figure>
  )
}
