import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { isUniqueViolation } from '../../db/errors.js'
import type { Repositories } from '../../db/repositories/index.js'
import { SEVERITY_RANK, type Severity, STAFF } from '../../domain.js'
import type { EventBus } from '../../ingest/event-bus.js'
import type { ReadingObserver, VehicleLiveState } from '../../ingest/pipeline.js'
import type { AnalysisResult, Anomaly } from '../../schemas/analysis.js'
import type { TelemetryReading } from '../../schemas/telemetry.js'
import type { DataAnalysisAgent } from '../detection/data-agent.js'
import type { VehicleState } from '../graph/state.js'
import type { MasterGraph } from '../master.js'
import { RunAdmission, type RunTurn } from './run-slots.js'

type History = ReturnType<DataAnalysisAgent['createHistory']>

/** An unresolved episode, as the hot path tracks it between database writes. */
interface Episode {
  eventId: string | null
  severity: Severity
  acknowledged: boolean
  /** Readings seen since the last flush, and the newest one's time. */
  newOccurrences: number
  lastSeen: string
  peaks: Record<string, number>
  dirty: boolean
}

export interface EpisodeStats {
  analyzed: number
  opened: number
  escalated: number
  resolved: number
  graphRuns: number
  graphFailures: number
  queuedRuns: number
  /** Runs in their urgent phase (up to the alert) and past it, and runs waiting for either. */
  urgentRuns: number
  urgentWaiting: number
  followUpRuns: number
  followUpWaiting: number
}

export interface EpisodeDeps {
  analyzer: DataAnalysisAgent
  graph: MasterGraph
  repos: Repositories
  bus: EventBus
  log: FastifyBaseLogger
  /** Tell people: `alert` as soon as a run's diagnosis is stored, `announce` once it ended (chat, booking). */
  notify: {
    alert(state: VehicleState, vehicle: VehicleLiveState['vehicle']): void
    announce(final: VehicleState, vehicle: VehicleLiveState['vehicle']): Promise<void>
  }
  flushIntervalMs?: number
  /**
   * Agent runs (of different vehicles) in their urgent phase at once: creating the anomaly event
   * and the diagnosis, up to the alert. Two round trips each, so a burst's alerts go out together.
   * Default 16.
   */
  maxConcurrentRuns?: number
  /**
   * Runs past their alert (the owner's message, the booking, RCA) at once; more wait their turn
   * in order. A burst's follow-ups then complete one after another, and leave pool connections
   * to the alerts and the telemetry writer. Default 3.
   */
  maxConcurrentFollowUps?: number
}

/**
 * Alarms, not floods. Every reading is analysed here as a plain call; the agent graph runs only
 * when a reading opens a new episode or escalates an open one. Readings that continue an
 * episode only bump its counters, written in batches. Runs of one vehicle queue in reading order.
 */
export class EpisodeManager implements ReadingObserver {
  private readonly histories = new Map<string, History>()
  private readonly episodes = new Map<string, Map<string, Episode>>()
  private readonly queues = new Map<string, Promise<void>>()
  private readonly admission: RunAdmission
  private readonly flushTimer: NodeJS.Timeout
  private readonly stats_: Omit<EpisodeStats, keyof RunAdmission['stats']> = {
    analyzed: 0,
    opened: 0,
    escalated: 0,
    resolved: 0,
    graphRuns: 0,
    graphFailures: 0,
    queuedRuns: 0,
  }

  constructor(private readonly deps: EpisodeDeps) {
    this.admission = new RunAdmission({
      urgent: deps.maxConcurrentRuns ?? 16,
      followUps: deps.maxConcurrentFollowUps ?? 3,
    })
    this.flushTimer = setInterval(() => void this.flush(), deps.flushIntervalMs ?? 2000)
    this.flushTimer.unref()
  }

  get stats(): EpisodeStats {
    return { ...this.stats_, ...this.admission.stats }
  }

  /** Picks up the episodes left open by a previous run of the service. */
  async loadOpenEpisodes(): Promise<void> {
    for (const e of await this.deps.repos.anomalies.listUnresolved()) {
      this.episodesOf(e.vehicle_id).set(e.anomaly_type, {
        eventId: e.id,
        severity: e.severity,
        acknowledged: e.status === 'ACKNOWLEDGED',
        newOccurrences: 0,
        lastSeen: e.last_seen_at.toISOString(),
        peaks: e.peak_values,
        dirty: false,
      })
    }
  }

  /** An operator acknowledged the alarm: keep tracking it, stop re-notifying. */
  markAcknowledged(vehicleId: string, anomalyType: string): void {
    const ep = this.episodes.get(vehicleId)?.get(anomalyType)
    if (ep) ep.acknowledged = true
  }

  /** The episode was closed elsewhere (a completed service): forget it. */
  forget(vehicleId: string, anomalyType: string): void {
    this.episodes.get(vehicleId)?.delete(anomalyType)
  }

  onReading(state: VehicleLiveState, reading: TelemetryReading): void {
    const { vehicle } = state
    let history = this.histories.get(vehicle.vin)
    if (!history) {
      history = this.deps.analyzer.createHistory()
      this.histories.set(vehicle.vin, history)
    }
    const result = this.deps.analyzer.analyze(reading, history)
    this.stats_.analyzed++
    state.rulDays = result.rul_days
    if (!result.anomaly_detected && result.cleared.length === 0) return

    const episodes = this.episodesOf(vehicle.id)
    for (const anomaly of result.anomalies) {
      const episode = episodes.get(anomaly.type)
      if (!episode) {
        const fresh: Episode = {
          eventId: null,
          severity: anomaly.severity,
          acknowledged: false,
          newOccurrences: 0,
          lastSeen: reading.timestamp,
          peaks: peaksOf(anomaly, {}),
          dirty: false,
        }
        episodes.set(anomaly.type, fresh)
        this.stats_.opened++
        this.enqueue(vehicle.id, (turn) => this.open(state, fresh, reading, focus(result, anomaly), turn))
        continue
      }
      episode.newOccurrences++
      episode.lastSeen = reading.timestamp
      episode.peaks = peaksOf(anomaly, episode.peaks)
      episode.dirty = true
      if (SEVERITY_RANK[anomaly.severity] > SEVERITY_RANK[episode.severity]) {
        episode.severity = anomaly.severity
        this.stats_.escalated++
        if (!episode.acknowledged) {
          this.enqueue(vehicle.id, (turn) =>
            this.run(state, episode, reading, focus(result, anomaly), 'escalated', turn),
          )
        }
      }
    }
    for (const type of result.cleared) {
      const episode = episodes.get(type)
      if (!episode) continue
      episodes.delete(type)
      this.stats_.resolved++
      this.enqueue(vehicle.id, () => this.resolve(state, episode, type, reading.timestamp))
    }
  }

  /** Waits for every queued run; then writes pending counters. */
  async drain(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()])
    await this.flush()
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer)
    await this.drain()
  }

  private episodesOf(vehicleId: string): Map<string, Episode> {
    let map = this.episodes.get(vehicleId)
    if (!map) {
      map = new Map()
      this.episodes.set(vehicleId, map)
    }
    return map
  }

  private enqueue(vehicleId: string, job: (turn: RunTurn) => Promise<void>): void {
    this.stats_.queuedRuns++
    const previous = this.queues.get(vehicleId) ?? Promise.resolve()
    const next = previous
      .then(() => this.admission.run(job))
      .catch((err) => {
        this.stats_.graphFailures++
        this.deps.log.error({ err, vehicleId }, 'anomaly workflow failed')
      })
      .finally(() => {
        this.stats_.queuedRuns--
        if (this.queues.get(vehicleId) === next) this.queues.delete(vehicleId)
      })
    this.queues.set(vehicleId, next)
  }

  private async open(
    state: VehicleLiveState,
    episode: Episode,
    reading: TelemetryReading,
    analysis: AnalysisResult,
    turn: RunTurn,
  ) {
    const { vehicle } = state
    const anomaly = analysis.anomalies[0]!
    try {
      const event = await this.deps.repos.anomalies.createAnomalyEvent(
        vehicle.id,
        anomaly.type,
        anomaly.severity,
        reading,
        {
          detectedAt: reading.timestamp,
          reason: anomaly.reason,
          signals: anomaly.signals,
          rulPrediction: analysis.rul_days,
          peakValues: episode.peaks,
        },
      )
      episode.eventId = event.id
    } catch (err) {
      // Another run (or an earlier life of the service) opened it: continue that episode.
      if (!isUniqueViolation(err)) throw err
      const existing = await this.deps.repos.anomalies.findOpenEpisode(vehicle.id, anomaly.type)
      if (!existing) throw err
      episode.eventId = existing.id
      episode.acknowledged = existing.status === 'ACKNOWLEDGED'
      episode.dirty = true
      return
    }
    await this.run(state, episode, reading, analysis, 'opened', turn)
  }

  private async run(
    state: VehicleLiveState,
    episode: Episode,
    reading: TelemetryReading,
    analysis: AnalysisResult,
    trigger: 'opened' | 'escalated',
    turn: RunTurn,
  ) {
    const { vehicle } = state
    if (!episode.eventId) return
    if (trigger === 'escalated')
      await this.deps.repos.anomalies.raiseSeverity(episode.eventId, episode.severity)
    this.stats_.graphRuns++
    // The hot path's analysis goes in, so the graph needs no history of readings to redo it.
    const steps = await this.deps.graph.stream(
      {
        vehicle_id: vehicle.id,
        vin: vehicle.vin,
        owner_id: vehicle.ownerId,
        batch: vehicle.batch,
        model: vehicle.model,
        current_data: reading,
        analysis,
        anomaly_event_id: episode.eventId,
        trigger,
        run_id: randomUUID(),
      },
      // The graph's first follow-up node calls `followUp` (see `followUpTurn` in nodes.ts).
      { streamMode: 'values', configurable: { followUp: turn.followUp } },
    )
    // The alert goes out when the diagnosis is stored, not after scheduling and RCA: that is
    // what the dashboards' "analysing" badge waits for.
    let final: VehicleState | undefined
    let alerted = false
    for await (const step of steps) {
      final = step as VehicleState
      if (!alerted && final.diagnosis_text && final.anomaly_event_id) {
        alerted = true
        this.deps.notify.alert(final, vehicle)
      }
    }
    if (!final) return
    if (final.error)
      this.deps.log.warn({ vin: vehicle.vin, error: final.error }, 'agent run ended with an error')
    await this.deps.notify.announce(final, vehicle)
  }

  private async resolve(state: VehicleLiveState, episode: Episode, type: string, at: string) {
    if (!episode.eventId) return
    await this.writeCounters(episode)
    const event = await this.deps.repos.anomalies.resolveEpisode(episode.eventId, at, 'recovered')
    if (!event) return
    this.deps.bus.publish({
      type: 'alarm',
      data: {
        id: event.id,
        vin: state.vehicle.vin,
        status: 'RESOLVED',
        severity: event.severity,
        anomaly_type: type,
      },
      vin: state.vehicle.vin,
      ownerId: state.vehicle.ownerId,
      roles: STAFF,
    })
  }

  private async flush(): Promise<void> {
    const writes: Promise<void>[] = []
    for (const map of this.episodes.values()) {
      for (const episode of map.values())
        if (episode.dirty && episode.eventId) writes.push(this.writeCounters(episode))
    }
    const results = await Promise.allSettled(writes)
    const failed = results.filter((r) => r.status === 'rejected')
    if (failed.length > 0) {
      this.deps.log.error(
        { failed: failed.length, err: (failed[0] as PromiseRejectedResult).reason },
        'episode update failed; will retry',
      )
    }
  }

  private async writeCounters(episode: Episode): Promise<void> {
    if (!episode.eventId || !episode.dirty) return
    const n = episode.newOccurrences
    episode.newOccurrences = 0
    episode.dirty = false
    try {
      await this.deps.repos.anomalies.recordOccurrences(episode.eventId, n, episode.lastSeen, episode.peaks)
    } catch (err) {
      episode.newOccurrences += n
      episode.dirty = true
      throw err
    }
  }
}

/** The analysis as the graph should see it: about this one anomaly. */
function focus(result: AnalysisResult, anomaly: Anomaly): AnalysisResult {
  return {
    ...result,
    anomalies: [anomaly],
    anomaly_type: anomaly.type,
    anomaly_reason: anomaly.reason,
    severity: anomaly.severity,
    signals: anomaly.signals,
    anomaly_score: anomaly.score,
  }
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
