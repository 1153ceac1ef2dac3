import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { DataAnalysisAgent, type VehicleHistory } from '../../src/agents/detection/data-agent.js'
import type { TelemetryStorage } from '../../src/db/telemetry-storage.js'
import { TelemetryWriter } from '../../src/ingest/telemetry-writer.js'
import type { AnalysisResult } from '../../src/schemas/analysis.js'
import { type TelemetryReading, TelemetryReadingSchema } from '../../src/schemas/telemetry.js'
import { readingValues } from '../../src/schemas/telemetry-series.js'
import type { StreamEngine } from '../../src/simulation/stream-engine.js'

/** The first `limit` readings of a replay, in memory. */
export async function materialize(engine: StreamEngine, limit: number): Promise<TelemetryReading[]> {
  const out: TelemetryReading[] = []
  for await (const r of engine.streamData()) {
    out.push(r)
    if (out.length >= limit) break
  }
  return out
}

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000)
}

/** Best of `passes` (the first ones warm the JIT up). */
function best(passes: number, fn: () => number): number {
  let top = 0
  for (let i = 0; i < passes; i++) top = Math.max(top, fn())
  return top
}

export interface AnalysisBaseline {
  readingsPerS: number
  anomalous: number
  raised: number
  escalated: number
  /** The first High or Critical analysis and its reading: the input of the full naive run. */
  severe: { reading: TelemetryReading; analysis: AnalysisResult } | null
}

/** The logic's limit: `DataAnalysisAgent.analyze` over every reading as plain calls, one history per VIN. */
export function analysisAlone(readings: readonly TelemetryReading[], passes = 3): AnalysisBaseline {
  const out: AnalysisBaseline = { readingsPerS: 0, anomalous: 0, raised: 0, escalated: 0, severe: null }
  out.readingsPerS = best(passes, () => {
    const agent = new DataAnalysisAgent()
    const histories = new Map<string, VehicleHistory>()
    const t0 = performance.now()
    for (const r of readings) {
      let h = histories.get(r.vin)
      if (!h) {
        h = agent.createHistory()
        histories.set(r.vin, h)
      }
      agent.analyze(r, h)
    }
    return rate(readings.length, performance.now() - t0)
  })
  // Counts, in a separate pass so that the timed loops do nothing else.
  const agent = new DataAnalysisAgent()
  const histories = new Map<string, VehicleHistory>()
  for (const r of readings) {
    let h = histories.get(r.vin)
    if (!h) {
      h = agent.createHistory()
      histories.set(r.vin, h)
    }
    const a = agent.analyze(r, h)
    if (a.anomaly_detected) out.anomalous++
    out.raised += a.raised.length
    out.escalated += a.escalated.length
    if (!out.severe && (a.severity === 'High' || a.severity === 'Critical'))
      out.severe = { reading: r, analysis: a }
  }
  return out
}

/** What each stage of the hot path costs alone, in microseconds per reading (best of 3 passes). */
export async function stageCosts(engine: StreamEngine, readings: readonly TelemetryReading[]) {
  const n = readings.length
  const us = (perS: number) => Math.round((1e6 / perS) * 100) / 100
  let replay = 0
  for (let pass = 0; pass < 3; pass++) {
    let k = 0
    const t0 = performance.now()
    for await (const _ of engine.streamData()) if (++k >= n) break
    replay = Math.max(replay, rate(k, performance.now() - t0))
  }
  const validate = best(3, () => {
    const t0 = performance.now()
    for (const r of readings) TelemetryReadingSchema.safeParse(r)
    return rate(n, performance.now() - t0)
  })
  const analysis = analysisAlone(readings).readingsPerS
  // What the writer does per row: the values in NUMERIC_FIELDS order and its COPY line, then the
  // batch text (storage that does nothing, so only Node's share is timed).
  const noStorage: TelemetryStorage = {
    ensureDays: async () => undefined,
    insertNew: async () => new Set(),
    partitions: async () => [],
    dropPartition: async () => undefined,
  }
  const vehicleId = randomUUID()
  let serialize = 0
  for (let pass = 0; pass < 3; pass++) {
    const writer = new TelemetryWriter(noStorage, { maxBuffered: n + 1 })
    const t0 = performance.now()
    for (const r of readings) writer.add({ vehicleId, ts: r.timestamp, vals: readingValues(r) })
    await writer.close()
    serialize = Math.max(serialize, rate(n, performance.now() - t0))
  }
  return [
    { stage: 'replay (StreamEngine, for await)', 'readings/s': replay, 'µs/reading': us(replay) },
    { stage: 'validate (Zod TelemetryReadingSchema)', 'readings/s': validate, 'µs/reading': us(validate) },
    { stage: 'analyse (DataAnalysisAgent)', 'readings/s': analysis, 'µs/reading': us(analysis) },
    { stage: 'values and COPY line for the writer', 'readings/s': serialize, 'µs/reading': us(serialize) },
  ]
}

export interface NaiveBaseline {
  /** graph.invoke per normal reading: data_analysis, UEBA gate (one logged transition), END. */
  stopAfterAnalysisPerS: number
  /** graph.invoke per anomalous reading through all five nodes. */
  fullRunPerS: number
  stopSamples: number
  fullSamples: number
  /** Node CPU per run, milliseconds (the database's own work is not in it). */
  stopCpuMs: number
  fullCpuMs: number
}

/**
 * The naive design: `graph.invoke` for every reading (analysis as a plain call first, as the
 * data_analysis node would do it). Measured on samples: normal readings stop after data analysis,
 * anomalous ones run all five nodes.
 */
export async function naiveGraph(
  app: FastifyInstance,
  readings: readonly TelemetryReading[],
  severe: NonNullable<AnalysisBaseline['severe']>,
  samples: { stop: number; full: number },
): Promise<NaiveBaseline> {
  const vehicles = new Map((await app.services.repos.vehicles.listAll()).map((v) => [v.vin, v]))
  const agent = new DataAnalysisAgent()
  const histories = new Map<string, VehicleHistory>()
  const base = (vin: string) => {
    const v = vehicles.get(vin)
    if (!v) throw new Error(`unknown ${vin}`)
    return {
      vehicle_id: v.id,
      vin,
      owner_id: v.owner_id,
      batch: v.batch,
      model: v.model,
      run_id: randomUUID(),
    }
  }
  let stops = 0
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (const r of readings) {
    let h = histories.get(r.vin)
    if (!h) {
      h = agent.createHistory()
      histories.set(r.vin, h)
    }
    const analysis = agent.analyze(r, h)
    if (analysis.anomaly_detected) continue
    await app.services.graph.invoke({
      ...base(r.vin),
      current_data: r,
      history: [],
      analysis,
      trigger: 'manual',
    })
    if (++stops >= samples.stop) break
  }
  const stopAfterAnalysisPerS = rate(stops, performance.now() - t0)
  const stopCpu = process.cpuUsage(c0)

  // One open episode per vehicle, as the full runs would find it; every run diagnoses, messages
  // the owner, looks for a service slot and runs the root-cause analysis.
  const events = new Map<string, string>()
  for (const vin of vehicles.keys()) {
    const v = vehicles.get(vin)!
    const type = severe.analysis.anomaly_type ?? 'battery_thermal'
    const e = await app.services.repos.anomalies.createAnomalyEvent(
      v.id,
      type,
      severe.analysis.severity ?? 'High',
      {},
    )
    events.set(vin, e.id)
  }
  const vins = [...events.keys()]
  const c1 = process.cpuUsage()
  const t1 = performance.now()
  for (let i = 0; i < samples.full; i++) {
    const vin = vins[i % vins.length]!
    await app.services.graph.invoke({
      ...base(vin),
      current_data: { ...severe.reading, vin },
      history: [],
      analysis: severe.analysis,
      anomaly_event_id: events.get(vin)!,
      trigger: 'escalated',
    })
  }
  const fullRunPerS = rate(samples.full, performance.now() - t1)
  const fullCpu = process.cpuUsage(c1)
  const ms = (c: NodeJS.CpuUsage, runs: number) => Math.round(((c.user + c.system) / 1000 / runs) * 100) / 100
  return {
    stopAfterAnalysisPerS,
    fullRunPerS,
    stopSamples: stops,
    fullSamples: samples.full,
    stopCpuMs: ms(stopCpu, stops),
    fullCpuMs: ms(fullCpu, samples.full),
  }
}
