import type { DataAnalysisAgent, VehicleHistory } from '../../src/agents/detection/data-agent.js'
import { ReadingRing } from '../../src/ingest/reading-ring.js'
import type { TelemetryReading } from '../../src/schemas/telemetry.js'

/**
 * The detection agent over a replay as the service runs it: one history and one 240-reading ring
 * per vehicle. `analyze` returns the analysis of a reading and its vehicle's ring (for RUL fits).
 */
export function replayAnalysis(analyzer: DataAnalysisAgent) {
  const vehicles = new Map<string, { history: VehicleHistory; ring: ReadingRing }>()
  return (reading: TelemetryReading) => {
    let v = vehicles.get(reading.vin)
    if (!v) {
      v = { history: analyzer.createHistory(), ring: new ReadingRing(240, reading.vin) }
      vehicles.set(reading.vin, v)
    }
    v.ring.push(reading)
    return { result: analyzer.analyze(reading, v.history), ring: v.ring }
  }
}
