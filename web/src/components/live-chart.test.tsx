// @vitest-environment happy-dom
import { act, cleanup, render, waitFor } from '@testing-library/preact'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TelemetryBuffer } from '../lib/telemetry-buffer'
import type { Reading } from '../lib/types'
import { LiveChart } from './live-chart'

// uPlot draws on a canvas that happy-dom does not have; the fake records what the chart asks it to draw.
// Hoisted: vi.mock runs before the imports, so the fake must exist by then.
const { FakePlot, plots } = vi.hoisted(() => {
  const plots: Array<InstanceType<typeof FakePlot>> = []
  class FakePlot {
    width: number
    setData = vi.fn()
    setSize = vi.fn()
    destroy = vi.fn()
    constructor(opts: { width: number }) {
      this.width = opts.width
      plots.push(this)
    }
  }
  return { FakePlot, plots }
})
vi.mock('uplot', () => ({ default: FakePlot }))

/** The signals the chart draws; the rest of a reading does not matter here. */
function reading(i: number, temp = 20 + i): Reading {
  return {
    vin: 'VIN0000000000000A',
    timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    driving_speed: i,
    motor_rpm: i * 100,
    battery_temperature: temp,
    motor_vibration: 0.1,
  } as Reading
}

/** A frame scheduler the test advances by hand, like the browser's requestAnimationFrame. */
function manualFrames() {
  let queue: Array<() => void> = []
  return {
    schedule: (cb: () => void) => {
      queue.push(cb)
      return queue.length
    },
    cancel: () => {
      queue = []
    },
    get pending() {
      return queue.length
    },
    flush() {
      const run = queue
      queue = []
      act(() => {
        for (const cb of run) cb()
      })
    },
  }
}

describe('LiveChart', () => {
  beforeEach(() => {
    plots.length = 0
  })
  afterEach(cleanup)

  it('draws many readings in one frame: one redraw per animation frame, not per message', () => {
    const buffer = new TelemetryBuffer(100)
    const frames = manualFrames()
    const { container } = render(
      <LiveChart
        buffer={buffer}
        field="battery_temperature"
        label="Battery temperature"
        unit="°C"
        color="#b3261e"
        schedule={frames.schedule}
        cancel={frames.cancel}
      />,
    )
    const plot = plots[0]!
    plot.setData.mockClear()

    for (let i = 0; i < 25; i++) buffer.push(reading(i))
    expect(plot.setData).not.toHaveBeenCalled()
    expect(frames.pending).toBe(1)

    frames.flush()
    expect(plot.setData).toHaveBeenCalledTimes(1)
    const [xs, ys] = plot.setData.mock.calls[0]![0] as [number[], number[]]
    expect(xs).toHaveLength(25)
    expect(ys.at(-1)).toBe(44)
    const figure = container.querySelector('figure')!
    expect(figure.dataset.points).toBe('25')
    expect(figure.textContent).toContain('44.0')
  })

  it('keeps a bounded window of the latest readings', () => {
    const buffer = new TelemetryBuffer(50)
    const frames = manualFrames()
    render(
      <LiveChart
        buffer={buffer}
        field="driving_speed"
        label="Speed"
        unit="km/h"
        color="#0b5cad"
        schedule={frames.schedule}
        cancel={frames.cancel}
      />,
    )
    for (let i = 0; i < 1000; i++) buffer.push(reading(i))
    frames.flush()
    const [xs, ys] = plots[0]!.setData.mock.calls.at(-1)![0] as [number[], number[]]
    expect(xs).toHaveLength(50)
    expect(ys[0]).toBe(950)
    expect(ys.at(-1)).toBe(999)
  })

  it('merges a late REST backfill before the live points and skips duplicates', () => {
    const buffer = new TelemetryBuffer(100)
    buffer.push(reading(10))
    buffer.push(reading(10))
    buffer.prepend([reading(8), reading(9), reading(10), reading(11)])
    expect(buffer.columns.driving_speed).toEqual([8, 9, 10])
  })

  it('starts over when the replay jumps back in time', () => {
    const buffer = new TelemetryBuffer(100)
    for (let i = 5; i < 10; i++) buffer.push(reading(i))
    buffer.push(reading(1))
    expect(buffer.columns.driving_speed).toEqual([1])
  })

  it('cancels a pending frame and destroys the plot on unmount', async () => {
    const buffer = new TelemetryBuffer(10)
    const frames = manualFrames()
    const cancel = vi.fn(frames.cancel)
    const { unmount } = render(
      <LiveChart
        buffer={buffer}
        field="motor_rpm"
        label="RPM"
        unit="rpm"
        color="#000"
        schedule={frames.schedule}
        cancel={cancel}
      />,
    )
    buffer.push(reading(1))
    unmount()
    // Preact runs effect cleanups of an unmounted tree asynchronously.
    await waitFor(() => expect(plots[0]!.destroy).toHaveBeenCalled())
    expect(cancel).toHaveBeenCalledWith(1)
    // A message after unmount schedules nothing.
    buffer.push(reading(2))
    expect(frames.pending).toBe(0)
  })
})
