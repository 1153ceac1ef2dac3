import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { DataAnalysisAgent, type VehicleHistory } from '../../src/agents/detection/data-agent.js'
import type { AnomalyType } from '../../src/schemas/analysis.js'
import { canonicalName, PUBLIC_COLUMNS, type TelemetryReading } from '../../src/schemas/telemetry.js'
import type { FleetRow } from '../../src/simulation/fleet-csv.js'

/**
 * Offline evaluation of the data analysis agent against a labelled fleet: replays the readings the
 * way the service does (one history per VIN, an episode opens when a type is `raised` and closes when
 * it is `cleared`, see `episodes.ts`) and matches the episodes to the injected faults. Pure: no I/O
 * except the optional ground-truth loader.
 */

/** The part of a ground-truth fault (data/fleet_faults.json) the evaluation needs. */
export interface GroundTruthFault {
  id: string
  vin: string
  kind: string
  /** When the fault starts developing (ISO-8601). */
  start: string
  /** First reading whose primary signal crosses its hard limit, null if it never did. */
  threshold_crossed_at: string | null
  /** Exclusive end of the fault (ISO-8601). */
  end: string
}

/** Which anomaly types count as detecting each fault kind. */
export const DEFAULT_KIND_TO_TYPES: Readonly<Record<string, readonly AnomalyType[]>> = {
  battery_thermal: ['battery_thermal'],
  bearing_wear: ['motor_bearing', 'motor_overheat'],
  slow_leak: ['tire_pressure'],
  brake_wear: ['brake_wear'],
}

/** An episode opening this long after a fault's end still counts (a slow detector is late, not wrong). */
export const MATCH_GRACE_MS = 6 * 3_600_000

export interface DetectionEpisode {
  vin: string
  type: AnomalyType
  opened: string
  /** Null while still open at the end of the readings. */
  closed: string | null
  /** The anomaly's reason and severity on the reading that opened the episode. */
  reason: string
  severity: string
  /** The fault this episode detects, null for a false episode. */
  faultId: string | null
}

export interface KindSummary {
  faults: number
  detected: number
  episodes: number
  falseEpisodes: number
  medianLeadTimeHours: number | null
}

export interface DetectionReport {
  faults: number
  detected: number
  missed: GroundTruthFault[]
  episodes: number
  falseEpisodes: DetectionEpisode[]
  /** Episodes that matched a fault another episode had already detected (an alarm that flapped). */
  repeatEpisodes: number
  /** Share of episodes that match a fault; 1 when there are no episodes. */
  precision: number
  /** Share of faults detected; 1 when there are no faults. */
  recall: number
  /** threshold_crossed_at minus the first detection, per detected fault that crossed; positive = early. */
  leadTimesHours: number[]
  medianLeadTimeHours: number | null
  byKind: Record<string, KindSummary>
  /** Every episode, in opening order. */
  all: DetectionEpisode[]
}

export interface EvaluateOptions {
  /** The agent to evaluate (default: a fresh one with the default rules). Its histories are fresh. */
  analyzer?: DataAnalysisAgent
  kindToTypes?: Readonly<Record<string, readonly AnomalyType[]>>
}

const toMs = (iso: string): number => Date.parse(iso)

/** Readings in timestamp order; a stable sort only when the input is not already ordered. */
function inTimeOrder(readings: Iterable<TelemetryReading>): TelemetryReading[] {
  const list = Array.isArray(readings) ? (readings as TelemetryReading[]) : [...readings]
  let previous = Number.NEGATIVE_INFINITY
  let ordered = true
  const times = list.map((r) => {
    const t = toMs(r.timestamp)
    if (t < previous) ordered = false
    previous = t
    return t
  })
  if (ordered) return list
  const index = list.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b)
  return index.map((i) => list[i]!)
}

/** Replays the readings through the agent and returns every episode as the service would open it. */
export function replayEpisodes(
  readings: Iterable<TelemetryReading>,
  analyzer: DataAnalysisAgent = new DataAnalysisAgent(),
): DetectionEpisode[] {
  const histories = new Map<string, VehicleHistory>()
  const open = new Map<string, DetectionEpisode>()
  const all: DetectionEpisode[] = []
  for (const reading of inTimeOrder(readings)) {
    let history = histories.get(reading.vin)
    if (!history) {
      history = analyzer.createHistory()
      histories.set(reading.vin, history)
    }
    const result = analyzer.analyze(reading, history)
    for (const type of result.raised) {
      const key = `${reading.vin}\u0000${type}`
      if (open.has(key)) continue
      const anomaly = result.anomalies.find((a) => a.type === type)
      const episode: DetectionEpisode = {
        vin: reading.vin,
        type,
        opened: reading.timestamp,
        closed: null,
        reason: anomaly?.reason ?? '',
        severity: anomaly?.severity ?? '',
        faultId: null,
      }
      open.set(key, episode)
      all.push(episode)
    }
    for (const type of result.cleared) {
      const key = `${reading.vin}\u0000${type}`
      const episode = open.get(key)
      if (!episode) continue
      episode.closed = reading.timestamp
      open.delete(key)
    }
  }
  return all
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const round2 = (x: number) => Math.round(x * 100) / 100

/**
 * Runs a fresh analysis over `readings` (timestamp order, one history per VIN) and scores its
 * episodes against `faults`. A fault is detected by an episode of a matching anomaly type on the same
 * VIN that opens within [start, end + 6 h]; an episode matching no fault is a false episode.
 */
export function evaluateDetection(
  readings: Iterable<TelemetryReading>,
  faults: readonly GroundTruthFault[],
  options: EvaluateOptions = {},
): DetectionReport {
  const kindToTypes = options.kindToTypes ?? DEFAULT_KIND_TO_TYPES
  const all = replayEpisodes(readings, options.analyzer ?? new DataAnalysisAgent())
  const firstDetection = new Map<string, number>()
  let repeatEpisodes = 0
  for (const episode of all) {
    const opened = toMs(episode.opened)
    const fault = faults.find(
      (f) =>
        f.vin === episode.vin &&
        (kindToTypes[f.kind] ?? []).includes(episode.type) &&
        opened >= toMs(f.start) &&
        opened <= toMs(f.end) + MATCH_GRACE_MS,
    )
    if (!fault) continue
    episode.faultId = fault.id
    const first = firstDetection.get(fault.id)
    if (first === undefined) firstDetection.set(fault.id, opened)
    else {
      repeatEpisodes++
      if (opened < first) firstDetection.set(fault.id, opened)
    }
  }

  const leadTimesHours: number[] = []
  const byKind: Record<string, KindSummary> = {}
  const leadByKind = new Map<string, number[]>()
  const summary = (kind: string): KindSummary => {
    byKind[kind] ??= { faults: 0, detected: 0, episodes: 0, falseEpisodes: 0, medianLeadTimeHours: null }
    return byKind[kind]
  }
  const missed: GroundTruthFault[] = []
  for (const fault of faults) {
    const s = summary(fault.kind)
    s.faults++
    const first = firstDetection.get(fault.id)
    if (first === undefined) {
      missed.push(fault)
      continue
    }
    s.detected++
    if (fault.threshold_crossed_at === null) continue
    const lead = round2((toMs(fault.threshold_crossed_at) - first) / 3_600_000)
    leadTimesHours.push(lead)
    leadByKind.set(fault.kind, [...(leadByKind.get(fault.kind) ?? []), lead])
  }
  // Episodes are attributed to the fault kind they detect, false ones to the kind their type serves.
  const kindOfFault = new Map(faults.map((f) => [f.id, f.kind]))
  for (const episode of all) {
    const kind =
      episode.faultId !== null
        ? kindOfFault.get(episode.faultId)!
        : (Object.keys(kindToTypes).find((k) => kindToTypes[k]!.includes(episode.type)) ?? episode.type)
    const s = summary(kind)
    s.episodes++
    if (episode.faultId === null) s.falseEpisodes++
  }
  for (const [kind, s] of Object.entries(byKind)) s.medianLeadTimeHours = median(leadByKind.get(kind) ?? [])

  const falseEpisodes = all.filter((e) => e.faultId === null)
  return {
    faults: faults.length,
    detected: firstDetection.size,
    missed,
    episodes: all.length,
    falseEpisodes,
    repeatEpisodes,
    precision: all.length === 0 ? 1 : (all.length - falseEpisodes.length) / all.length,
    recall: faults.length === 0 ? 1 : firstDetection.size / faults.length,
    leadTimesHours,
    medianLeadTimeHours: median(leadTimesHours),
    byKind,
    all,
  }
}

const GroundTruthSchema = z.object({
  faults: z.array(
    z.looseObject({
      id: z.string(),
      vin: z.string(),
      kind: z.string(),
      start: z.string(),
      threshold_crossed_at: z.string().nullable(),
      end: z.string(),
    }),
  ),
})

/** The faults of a ground-truth file such as data/fleet_faults.json. */
export function loadGroundTruth(path: string): GroundTruthFault[] {
  return GroundTruthSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).faults
}

/**
 * A generated row (`generateFleet`) as the reading the StreamEngine would emit for it: canonical
 * field names and an ISO-8601 UTC timestamp.
 */
export function fleetRowToReading(row: FleetRow): TelemetryReading {
  const reading: Record<string, unknown> = {
    vin: row.VIN,
    timestamp: `${row.Timestamp.replace(' ', 'T')}.000Z`,
  }
  for (const column of PUBLIC_COLUMNS) {
    if (column !== 'Timestamp') reading[canonicalName(column)] = row[column]
  }
  return reading as TelemetryReading
}

/** A one-line-per-row text table of reports (for tests and the benchmark). */
export function formatDetectionTable(rows: readonly { name: string; report: DetectionReport }[]): string {
  const head = ['fleet', 'faults', 'detected', 'episodes', 'false', 'repeat', 'precision', 'recall', 'lead h']
  const lines = rows.map(({ name, report: r }) => [
    name,
    String(r.faults),
    String(r.detected),
    String(r.episodes),
    String(r.falseEpisodes.length),
    String(r.repeatEpisodes),
    r.precision.toFixed(3),
    r.recall.toFixed(3),
    r.medianLeadTimeHours === null ? '-' : r.medianLeadTimeHours.toFixed(1),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  return [head, ...lines].map((l) => l.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n')
}
