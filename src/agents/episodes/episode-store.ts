import type { Repositories } from '../../db/repositories/index.js'
import type { Severity } from '../../domain.js'
import type { AnalysisResult, Anomaly } from '../../schemas/analysis.js'
import type { RulEstimate } from '../../schemas/rul.js'
import type { TelemetryReading } from '../../schemas/telemetry.js'

/** An unresolved episode, as the hot path tracks it between database writes. */
export interface Episode {
  eventId: string | null
  severity: Severity
  acknowledged: boolean
  /** Readings seen since the last flush, and the newest one's time. */
  newOccurrences: number
  lastSeen: string
  peaks: Record<string, number>
  dirty: boolean
  /** Open, but its run ended before the diagnosis (an earlier life of the service): run it again. */
  unfinished?: boolean
  /** Opens and resolves again and again: held open through short recoveries, not re-notified. */
  flapping: boolean
  /** A flapping episode's signal recovered at this reading time (epoch ms); null while active. */
  quietSince: number | null
  /** ... and the wall time it did (see `FlapOptions.quietWallMs`). */
  quietWall: number
  /** Its row was already there (an earlier life): its run is not the first telling. */
  settled?: boolean
  /** The agent run waiting for this episode, if any: later readings fold into it. */
  request: RunRequest | null
  /** Tells this episode's queued run apart from an earlier episode's of the same type. */
  runKey: string
}

/** What the next agent run of an episode is about (the newest escalation wins). */
export interface RunRequest {
  trigger: 'opened' | 'escalated'
  reading: TelemetryReading
  analysis: AnalysisResult
  /**
   * `performance.now()` when the first reading that asked for this telling arrived (the
   * observers run synchronously on arrival); a folded request keeps it: the alert latency.
   */
  arrivedAt: number
}

type FlushResult = { failed: number; firstError?: unknown }

/**
 * The open episodes of every vehicle, by anomaly type, kept in memory so that a reading that
 * continues an episode costs no query: its counters are written in batches (`flush`).
 */
export class EpisodeStore {
  private readonly byVehicle = new Map<string, Map<string, Episode>>()
  /** The counter write in progress, and the one queued after it. */
  private writing: Promise<FlushResult> | undefined
  private nextWrite: Promise<FlushResult> | undefined

  constructor(private readonly repos: Pick<Repositories, 'anomalies' | 'diagnoses'>) {}

  /**
   * Picks up the episodes left open by a previous run of the service; with `only`, those of these
   * vehicles, replacing what memory held of them (a worker taking their partition over).
   */
  async loadOpen(only?: ReadonlySet<string>): Promise<void> {
    const open = (await this.repos.anomalies.listUnresolved()).filter((e) => !only || only.has(e.vehicle_id))
    for (const id of only ?? []) this.byVehicle.delete(id)
    const unfinished = await this.repos.diagnoses.undiagnosed(open.map((e) => e.id))
    for (const e of open) {
      this.of(e.vehicle_id).set(e.anomaly_type, {
        eventId: e.id,
        severity: e.severity,
        acknowledged: e.status === 'ACKNOWLEDGED',
        newOccurrences: 0,
        lastSeen: e.last_seen_at.toISOString(),
        peaks: e.peak_values,
        dirty: false,
        unfinished: unfinished.has(e.id) && e.status === 'OPEN',
        flapping: e.flapping,
        quietSince: null,
        quietWall: 0,
        request: null,
        runKey: `${e.anomaly_type}#${e.id}`,
      })
    }
  }

  of(vehicleId: string): Map<string, Episode> {
    let map = this.byVehicle.get(vehicleId)
    if (!map) {
      map = new Map()
      this.byVehicle.set(vehicleId, map)
    }
    return map
  }

  get(vehicleId: string, anomalyType: string): Episode | undefined {
    return this.byVehicle.get(vehicleId)?.get(anomalyType)
  }

  /** The vehicle's open episodes, without creating an entry for a vehicle that has none. */
  peek(vehicleId: string): Map<string, Episode> | undefined {
    return this.byVehicle.get(vehicleId)
  }

  delete(vehicleId: string, anomalyType: string): void {
    this.byVehicle.get(vehicleId)?.delete(anomalyType)
  }

  /**
   * Writes every episode's pending counters; failed ones stay pending for the next flush. When it
   * resolves with none failed, every occurrence counted before the call is in the database:
   * writes run one at a time (a count taken by a write in progress is not reported written
   * before that write ends), and callers arriving meanwhile share the next one.
   */
  flush(): Promise<FlushResult> {
    if (!this.writing) {
      this.writing = this.writeAll().finally(() => {
        this.writing = undefined
      })
      return this.writing
    }
    this.nextWrite ??= this.writing.then(() => {
      this.nextWrite = undefined
      return this.flush()
    })
    return this.nextWrite
  }

  private async writeAll(): Promise<FlushResult> {
    const writes: Promise<void>[] = []
    for (const map of this.byVehicle.values()) {
      for (const episode of map.values())
        if (episode.dirty && episode.eventId) writes.push(this.writeCounters(episode))
    }
    const failed = (await Promise.allSettled(writes)).filter((r) => r.status === 'rejected')
    return { failed: failed.length, firstError: (failed[0] as PromiseRejectedResult | undefined)?.reason }
  }

  async writeCounters(episode: Episode): Promise<void> {
    if (!episode.eventId || !episode.dirty) return
    const n = episode.newOccurrences
    episode.newOccurrences = 0
    episode.dirty = false
    try {
      await this.repos.anomalies.recordOccurrences(episode.eventId, n, episode.lastSeen, episode.peaks)
    } catch (err) {
      episode.newOccurrences += n
      episode.dirty = true
      throw err
    }
  }
}

/** A new episode opened by `anomaly` on a reading at `at`, not yet stored. */
export function freshEpisode(anomaly: Anomaly, at: string, runKey: string, flapping = false): Episode {
  return {
    flapping,
    quietSince: null,
    quietWall: 0,
    request: null,
    runKey,
    eventId: null,
    severity: anomaly.severity,
    acknowledged: false,
    newOccurrences: 0,
    lastSeen: at,
    peaks: peaksOf(anomaly, {}),
    dirty: false,
  }
}

/** The reading continues the episode: one more occurrence, maybe new peaks. */
export function continueEpisode(episode: Episode, anomaly: Anomaly, at: string): void {
  episode.newOccurrences++
  episode.lastSeen = at
  episode.peaks = peaksOf(anomaly, episode.peaks)
  episode.dirty = true
}

/** The most extreme value each signal reached, in the direction that makes it anomalous. */
function peaksOf(anomaly: Anomaly, previous: Record<string, number>): Record<string, number> {
  const peaks = { ...previous }
  for (const s of anomaly.signals) {
    const before = peaks[s.signal]
    const below = s.threshold !== undefined && s.value < s.threshold
    if (before === undefined || (below ? s.value < before : s.value > before)) peaks[s.signal] = s.value
  }
  return peaks
}

/** The analysis as the graph should see it: about this one anomaly, with the episode's estimate. */
export function focus(result: AnalysisResult, anomaly: Anomaly, rul: RulEstimate): AnalysisResult {
  return {
    ...result,
    rul,
    anomalies: [anomaly],
    anomaly_type: anomaly.type,
    anomaly_reason: anomaly.reason,
    severity: anomaly.severity,
    signals: anomaly.signals,
    anomaly_score: anomaly.score,
  }
}
