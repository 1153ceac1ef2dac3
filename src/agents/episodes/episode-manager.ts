import type { FastifyBaseLogger } from 'fastify'
import type { Repositories } from '../../db/repositories/index.js'
import { SEVERITY_RANK } from '../../domain.js'
import type { ReadingObserver, VehicleLiveState } from '../../ingest/pipeline.js'
import type { AnalysisResult, Anomaly } from '../../schemas/analysis.js'
import type { RulEstimate } from '../../schemas/rul.js'
import type { TelemetryReading } from '../../schemas/telemetry.js'
import type { DataAnalysisAgent } from '../detection/data-agent.js'
import type { MasterGraph } from '../master.js'
import { continueEpisode, type Episode, EpisodeStore, freshEpisode } from './episode-store.js'
import { runEpisodeGraph } from './graph-runner.js'
import type { Notifier } from './notifier.js'
import { VehicleRunQueue } from './run-queue.js'
import type { RunTurn } from './run-slots.js'

type History = ReturnType<DataAnalysisAgent['createHistory']>

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
  notifier: Notifier
  log: FastifyBaseLogger
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
 * Alarms, not floods, and the one owner of when people are told. Every reading is analysed here
 * as a plain call; the agent graph runs only when a reading opens a new episode or escalates an
 * open one. Readings that continue an episode only bump its counters, written in batches.
 */
export class EpisodeManager implements ReadingObserver {
  private readonly histories = new Map<string, History>()
  private readonly store: EpisodeStore
  private readonly runs: VehicleRunQueue
  private readonly flushTimer: NodeJS.Timeout
  private readonly counts = {
    analyzed: 0,
    opened: 0,
    escalated: 0,
    resolved: 0,
    graphRuns: 0,
    graphFailures: 0,
  }

  constructor(private readonly deps: EpisodeDeps) {
    this.store = new EpisodeStore(deps.repos)
    this.runs = new VehicleRunQueue({
      urgent: deps.maxConcurrentRuns ?? 16,
      followUps: deps.maxConcurrentFollowUps ?? 3,
      onFailure: (err, vehicleId) => {
        this.counts.graphFailures++
        this.deps.log.error({ err, vehicleId }, 'anomaly workflow failed')
      },
    })
    this.flushTimer = setInterval(() => void this.flush(), deps.flushIntervalMs ?? 2000)
    this.flushTimer.unref()
  }

  get stats(): EpisodeStats {
    return { ...this.counts, ...this.runs.stats }
  }

  /** Picks up the episodes left open by a previous run of the service. */
  loadOpenEpisodes(): Promise<void> {
    return this.store.loadOpen()
  }

  /** An operator acknowledged the alarm: keep tracking it, stop re-notifying. */
  markAcknowledged(vehicleId: string, anomalyType: string): void {
    const ep = this.store.get(vehicleId, anomalyType)
    if (ep) ep.acknowledged = true
  }

  /** The episode was closed elsewhere (a completed service): forget it. */
  forget(vehicleId: string, anomalyType: string): void {
    this.store.delete(vehicleId, anomalyType)
  }

  onReading(state: VehicleLiveState, reading: TelemetryReading): void {
    const { vehicle } = state
    let history = this.histories.get(vehicle.vin)
    if (!history) {
      history = this.deps.analyzer.createHistory()
      this.histories.set(vehicle.vin, history)
    }
    const result = this.deps.analyzer.analyze(reading, history)
    this.counts.analyzed++
    if (!result.anomaly_detected && result.cleared.length === 0) return

    const episodes = this.store.of(vehicle.id)
    for (const anomaly of result.anomalies) {
      const episode = episodes.get(anomaly.type)
      if (!episode) {
        const fresh = freshEpisode(anomaly, reading.timestamp)
        episodes.set(anomaly.type, fresh)
        this.counts.opened++
        const analysis = focus(result, anomaly, this.estimate(state, anomaly))
        this.runs.enqueue(vehicle.id, (turn) => this.open(state, fresh, reading, analysis, turn))
        continue
      }
      continueEpisode(episode, anomaly, reading.timestamp)
      if (episode.unfinished) {
        episode.unfinished = false
        const analysis = focus(result, anomaly, this.estimate(state, anomaly))
        this.runs.enqueue(vehicle.id, (turn) =>
          this.run(state, episode, reading, analysis, 'opened', turn, true),
        )
        continue
      }
      if (SEVERITY_RANK[anomaly.severity] > SEVERITY_RANK[episode.severity]) {
        episode.severity = anomaly.severity
        this.counts.escalated++
        // Re-estimated on the escalating reading, and stored with the new severity even when
        // nobody is re-notified (an acknowledged alarm's row still tells staff the truth).
        const analysis = focus(result, anomaly, this.estimate(state, anomaly))
        if (!episode.acknowledged) {
          this.runs.enqueue(vehicle.id, (turn) =>
            this.run(state, episode, reading, analysis, 'escalated', turn),
          )
        } else if (episode.eventId) {
          const id = episode.eventId
          this.runs.enqueue(vehicle.id, () =>
            this.deps.repos.anomalies.raiseSeverity(id, anomaly.severity, analysis.rul!, reading.timestamp),
          )
        }
      }
    }
    for (const type of result.cleared) {
      const episode = episodes.get(type)
      if (!episode) continue
      episodes.delete(type)
      this.counts.resolved++
      this.runs.enqueue(vehicle.id, () => this.resolve(state, episode, reading.timestamp))
    }
  }

  /**
   * The episode's remaining useful life from the vehicle's ring of recent readings (which holds
   * this reading): a trend fit, so only when an episode opens or escalates.
   */
  private estimate(state: VehicleLiveState, anomaly: Anomaly): RulEstimate {
    return this.deps.analyzer.estimateRul(anomaly.type, state.recent.toArray())
  }

  /** The replay wrapped around: the vehicle's baselines start over (open episodes clear as usual). */
  onDiscontinuity(state: VehicleLiveState): void {
    this.histories.get(state.vehicle.vin)?.rebase()
  }

  /** Waits for every queued run; then writes pending counters. */
  async drain(): Promise<void> {
    await this.runs.drain()
    await this.flush()
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer)
    await this.drain()
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
    const { anomalies } = this.deps.repos
    const created = await anomalies.openEpisode(vehicle.id, anomaly.type, anomaly.severity, reading, {
      detectedAt: reading.timestamp,
      reason: anomaly.reason,
      signals: anomaly.signals,
      rul: analysis.rul,
      peakValues: episode.peaks,
    })
    episode.eventId = created.event.id
    if (!created.opened) {
      // Another run (or an earlier life of the service) opened it: continue that episode, and
      // finish its run if that life ended before the diagnosis (its effects are keyed on the
      // episode, so nothing happens twice).
      episode.acknowledged = created.event.status === 'ACKNOWLEDGED'
      episode.dirty = true
      const diagnosed = (await this.deps.repos.diagnoses.listForEvent(created.event.id)).length > 0
      if (diagnosed || episode.acknowledged) return
      await this.run(state, episode, reading, analysis, 'opened', turn, true)
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
    /** The row was written by an earlier run: store the estimate this run tells people. */
    restate = false,
  ) {
    const { vehicle } = state
    if (!episode.eventId) return
    const { anomalies } = this.deps.repos
    const rul = analysis.rul ?? undefined
    if (trigger === 'escalated')
      await anomalies.raiseSeverity(episode.eventId, episode.severity, rul, reading.timestamp)
    else if (restate && rul) await anomalies.updateRul(episode.eventId, rul, reading.timestamp)
    this.counts.graphRuns++
    const { notifier } = this.deps
    const final = await runEpisodeGraph(
      this.deps.graph,
      { vehicle, eventId: episode.eventId, reading, analysis, trigger, turn },
      { onDiagnosed: (diagnosed) => notifier.alert(diagnosed, vehicle) },
    )
    if (!final) return
    if (final.error) {
      this.deps.log.warn({ vin: vehicle.vin, error: final.error }, 'agent run ended with an error')
      await notifier.fallback(final, vehicle)
    }
    await notifier.announce(final, vehicle)
  }

  private async resolve(state: VehicleLiveState, episode: Episode, at: string) {
    if (!episode.eventId) return
    await this.store.writeCounters(episode)
    const event = await this.deps.repos.anomalies.resolveEpisode(episode.eventId, at, 'recovered')
    if (event) this.deps.notifier.resolved(event, state.vehicle)
  }

  private async flush(): Promise<void> {
    const { failed, firstError } = await this.store.flush()
    if (failed > 0) this.deps.log.error({ failed, err: firstError }, 'episode update failed; will retry')
  }
}

/** The analysis as the graph should see it: about this one anomaly, with the episode's estimate. */
function focus(result: AnalysisResult, anomaly: Anomaly, rul: RulEstimate): AnalysisResult {
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
