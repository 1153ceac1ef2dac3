import { DataAnalysisAgent } from '../../src/agents/detection/data-agent.js'
import { SEVERITY_RANK, type Severity } from '../../src/domain.js'
import type { RulEstimate } from '../../src/schemas/rul.js'
import type { TelemetryReading } from '../../src/schemas/telemetry.js'
import { DEFAULT_KIND_TO_TYPES, type GroundTruthFault, MATCH_GRACE_MS } from './detection-eval.js'
import { replayAnalysis } from './replay-analysis.js'

/**
 * The demand back-test's replay (bench/forecast.ts): the readings through the real detection agent as
 * bench/lib/rul-eval.ts does, and at each cut-off the episodes open then and those closed before.
 */

export interface Episode {
  id: string
  vin: string
  type: string
  severity: Severity
  estimate: RulEstimate
  estimatedAt: number
  opened: number
  fault: GroundTruthFault | undefined
}

export interface Snapshot {
  at: number
  open: Episode[]
  closed: Episode[]
}

const toMs = (iso: string) => Date.parse(iso)

export function replaySnapshots(
  readings: readonly TelemetryReading[],
  faults: readonly GroundTruthFault[],
  cutoffs: readonly number[],
): Snapshot[] {
  const analyzer = new DataAnalysisAgent()
  const analyze = replayAnalysis(analyzer)
  const open = new Map<string, Episode>()
  const closed: Episode[] = []
  let serial = 0
  const snapshots: Snapshot[] = []
  let next = 0

  for (const reading of readings) {
    const t = toMs(reading.timestamp)
    while (next < cutoffs.length && t >= cutoffs[next]!) {
      snapshots.push({
        at: cutoffs[next]!,
        open: [...open.values()].map((e) => ({ ...e })),
        closed: [...closed],
      })
      next++
    }
    const { result, ring } = analyze(reading)
    for (const anomaly of result.anomalies) {
      const key = `${reading.vin}\u0000${anomaly.type}`
      const episode = open.get(key)
      if (episode && SEVERITY_RANK[anomaly.severity] <= SEVERITY_RANK[episode.severity]) continue
      const estimate = analyzer.estimateRul(anomaly.type, ring.toArray())
      if (episode) {
        Object.assign(episode, { severity: anomaly.severity, estimate, estimatedAt: t })
        continue
      }
      const fault = faults.find(
        (f) =>
          f.vin === reading.vin &&
          (DEFAULT_KIND_TO_TYPES[f.kind] ?? []).includes(anomaly.type as never) &&
          t >= toMs(f.start) &&
          t <= toMs(f.end) + MATCH_GRACE_MS,
      )
      const id = `ep-${++serial}`
      open.set(key, {
        id,
        vin: reading.vin,
        type: anomaly.type,
        severity: anomaly.severity,
        estimate,
        estimatedAt: t,
        opened: t,
        fault,
      })
    }
    for (const type of result.cleared) {
      const key = `${reading.vin}\u0000${type}`
      const episode = open.get(key)
      if (!episode) continue
      closed.push(episode)
      open.delete(key)
    }
  }
  return snapshots
}
