import { PerformanceObserver } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import type { TelemetryReading } from '../../src/schemas/telemetry.js'
import { StreamEngine } from '../../src/simulation/stream-engine.js'

export interface FeedOptions {
  /** Stop after this many readings (the replay loops, time-shifted, past the end of the file). */
  limit: number
  /**
   * The pipeline has no backpressure of its own (a reading never waits on the database), so a
   * source faster than the database would only grow the writer's buffer until it drops rows. The
   * feed pauses while more than this many rows wait, as a broker consumer would.
   */
  maxPending?: number
  /** Called every 1,024 readings with the count so far. */
  onProgress?: (n: number) => void | Promise<void>
}

export interface FeedResult {
  readings: number
  /** Until the last reading was handed to the pipeline. */
  ingestMs: number
  /** Until every row was written and every agent run finished. */
  totalMs: number
  pausedMs: number
  /** Time spent in garbage collection pauses on the main thread. */
  gcMs: number
}

/** A replay of `csv` with no delay between steps, as `STREAM_DELAY_SECONDS=0` runs it. */
export async function loadEngine(
  csv: string,
): Promise<{ engine: StreamEngine; loadMs: number; rows: number }> {
  const engine = new StreamEngine(csv, { delaySeconds: 0, loop: true })
  const t0 = performance.now()
  const stats = await engine.loadData()
  return { engine, loadMs: performance.now() - t0, rows: stats.rows }
}

/** Waits until the writer has nothing pending and the episode manager nothing queued. */
export async function settle(app: FastifyInstance): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    await app.services.writer.flush()
    await app.services.episodes.drain()
    const w = app.services.writer.stats
    if (w.pending === 0 && app.services.episodes.stats.queuedRuns === 0) return
    if (w.failedAttempts > 0 && w.lastError) await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('pipeline did not settle')
}

/** Consumes the replay exactly as `IngestionPipeline.start` does (for await, ingest), with a limit. */
export async function feed(
  app: FastifyInstance,
  engine: StreamEngine,
  options: FeedOptions,
): Promise<FeedResult> {
  const { pipeline, writer } = app.services
  const maxPending = options.maxPending ?? 50_000
  let n = 0
  let pausedMs = 0
  let gcMs = 0
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration
  })
  gcObserver.observe({ entryTypes: ['gc'] })
  const t0 = performance.now()
  const stream = engine.streamData()
  for await (const reading of stream) {
    pipeline.ingest(reading satisfies TelemetryReading)
    if (++n >= options.limit) break
    if ((n & 1023) === 0) {
      await options.onProgress?.(n)
      if (writer.stats.pending > maxPending) {
        const p0 = performance.now()
        while (writer.stats.pending > maxPending / 2) await new Promise((r) => setTimeout(r, 1))
        pausedMs += performance.now() - p0
      }
    }
  }
  const ingestMs = performance.now() - t0
  await settle(app)
  const totalMs = performance.now() - t0
  gcObserver.disconnect()
  return { readings: n, ingestMs, totalMs, pausedMs, gcMs }
}
