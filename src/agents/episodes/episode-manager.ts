import { SEVERITY_RANK, type Severity } from '../../domain.js'
import type { ReadingObserver, VehicleLiveState } from '../../ingest/pipeline.js'
import type { AnalysisResult, Anomaly } from '../../schemas/analysis.js'
import type { RulEstimate } from '../../schemas/rul.js'
import type { TelemetryReading } from '../../schemas/telemetry.js'
import type { DataAnalysisAgent } from '../detection/data-agent.js'
import { EpisodeEffects } from './episode-effects.js'
import type { EpisodeDeps, EpisodeStats } from './episode-options.js'
import {
  continueEpisode,
  type Episode,
  EpisodeStore,
  focus,
  freshEpisode,
  type RunRequest,
} from './episode-store.js'
import { VehicleRunQueue } from './run-queue.js'
import { DEFAULT_FLAP, DEFAULT_OWNER_LIMIT, FlapTracker, OwnerBudget } from './storm-guard.js'

export type { EpisodeDeps, EpisodeStats } from './episode-options.js'

type History = ReturnType<DataAnalysisAgent['createHistory']>
type Vehicle = VehicleLiveState['vehicle']

/**
 * Alarms, not floods, and the one owner of when people are told. Every reading is analysed here
 * as a plain call; the agent graph runs only when a reading opens a new episode or escalates an
 * open one, and then at most once queued per episode (see `VehicleRunQueue` for the bounds).
 * Readings that continue an episode only bump its counters, written in batches. An episode that
 * flaps is held open and told to staff; the owner hears of it again only at a higher severity.
 */
export class EpisodeManager implements ReadingObserver {
  private readonly histories = new Map<string, History>()
  private readonly store: EpisodeStore
  private readonly runs: VehicleRunQueue
  private readonly flaps: FlapTracker
  private readonly budget: OwnerBudget<Vehicle>
  private readonly effects: EpisodeEffects
  private readonly flushTimer: NodeJS.Timeout
  private nextKey = 0
  private readonly now: () => number
  private readonly counts = {
    analyzed: 0,
    opened: 0,
    escalated: 0,
    resolved: 0,
    graphRuns: 0,
    quietRuns: 0,
    graphFailures: 0,
  }

  constructor(private readonly deps: EpisodeDeps) {
    this.store = new EpisodeStore(deps.repos)
    this.now = deps.now ?? Date.now
    this.runs = new VehicleRunQueue({
      urgent: deps.maxConcurrentRuns ?? 16,
      followUps: deps.maxConcurrentFollowUps ?? 3,
      maxPending: deps.maxQueuedRuns ?? 64,
      onFailure: (err, vehicleId) => {
        this.counts.graphFailures++
        this.deps.log.error({ err, vehicleId }, 'anomaly workflow failed')
      },
    })
    this.flaps = new FlapTracker(deps.flap ?? DEFAULT_FLAP)
    this.budget = new OwnerBudget(deps.ownerLimit ?? DEFAULT_OWNER_LIMIT, this.now)
    this.effects = new EpisodeEffects({
      ...deps,
      store: this.store,
      flaps: this.flaps,
      budget: this.budget,
      counts: this.counts,
    })
    this.flushTimer = setInterval(() => void this.flush(), deps.flushIntervalMs ?? 2000)
    this.flushTimer.unref()
  }

  /** The live episode counters, without building `stats` (the latency bench reads them per reading). */
  get episodeCounts(): Readonly<{ opened: number; escalated: number }> {
    return this.counts
  }

  get stats(): EpisodeStats {
    return {
      ...this.counts,
      ...this.runs.stats,
      flapping: this.flaps.flagged,
      heldNotices: this.budget.heldTotal,
      digests: this.budget.digests,
    }
  }

  /** Picks up the episodes left open by a previous run of the service. */
  loadOpenEpisodes(): Promise<void> {
    return this.store.loadOpen()
  }

  /**
   * A worker took these vehicles' partition over: what another worker did meanwhile is in the
   * database, so their open episodes are read again and their analysis history starts afresh.
   */
  async takeOver(vehicles: readonly { id: string; vin: string }[]): Promise<void> {
    await this.flush()
    for (const v of vehicles) this.histories.delete(v.vin)
    await this.store.loadOpen(new Set(vehicles.map((v) => v.id)))
  }

  /**
   * Resolves once every occurrence counted so far is in the database (rejects if a write failed).
   * A worker acknowledges a reading only after this, so the one taking its partition over reads
   * counters that include every acknowledged reading (one not acknowledged comes back).
   */
  async countersWritten(): Promise<void> {
    const { failed, firstError } = await this.store.flush()
    if (failed > 0) throw new Error(`${failed} episode counter write(s) failed`, { cause: firstError })
  }

  /** An operator acknowledged the alarm: keep tracking it, stop re-notifying. */
  markAcknowledged(vehicleId: string, anomalyType: string): void {
    const ep = this.store.get(vehicleId, anomalyType)
    if (ep) ep.acknowledged = true
  }

  /**
   * The episode was closed elsewhere (a completed service): forget it, and its openings. After a
   * repair the same fault coming back is a repeat the owner must hear of, not a flapping signal.
   */
  forget(vehicleId: string, anomalyType: string): void {
    this.store.delete(vehicleId, anomalyType)
    this.flaps.reset(vehicleId, anomalyType)
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
    // The pipeline has parsed it already (a reading in order only reaches observers once it has).
    const at = state.lastTs
    const open = this.store.peek(vehicle.id)
    if (open && open.size > 0) this.resolveQuiet(vehicle, open, at)
    if (!result.anomaly_detected && result.cleared.length === 0) return

    const episodes = open ?? this.store.of(vehicle.id)
    for (const anomaly of result.anomalies) {
      const episode = episodes.get(anomaly.type)
      if (!episode) {
        this.open(state, episodes, result, anomaly, reading, at)
        continue
      }
      episode.quietSince = null
      // Not newer than what the episode has counted: a reading its last owner analysed but had not
      // committed, redelivered to the worker that took the partition over. Counted once.
      if (reading.timestamp > episode.lastSeen) continueEpisode(episode, anomaly, reading.timestamp)
      if (episode.unfinished) {
        episode.unfinished = false
        const analysis = focus(result, anomaly, this.estimate(state, anomaly))
        this.runs.enqueue(vehicle.id, () => this.effects.restate(episode, analysis, reading.timestamp))
        this.request(vehicle, episode, { trigger: 'opened', reading, analysis })
        continue
      }
      if (SEVERITY_RANK[anomaly.severity] > SEVERITY_RANK[episode.severity]) {
        episode.severity = anomaly.severity
        this.counts.escalated++
        // Re-estimated on the escalating reading, and stored with the new severity even when
        // nobody is re-notified (an acknowledged alarm's row still tells staff the truth).
        const analysis = focus(result, anomaly, this.estimate(state, anomaly))
        this.runs.enqueue(vehicle.id, () => this.effects.escalate(episode, analysis, reading.timestamp))
        if (!episode.acknowledged && this.worthTelling(vehicle, episode, anomaly.type, anomaly.severity))
          this.request(vehicle, episode, {
            trigger: episode.settled ? 'escalated' : 'opened',
            reading,
            analysis,
          })
      }
    }
    for (const type of result.cleared) {
      const episode = episodes.get(type)
      if (!episode) continue
      if (episode.flapping) {
        // Held open: a recovery of a flapping signal is not news; a long one resolves it.
        if (episode.quietSince === null) {
          episode.quietSince = at
          episode.quietWall = this.now()
        }
        continue
      }
      this.end(vehicle, episodes, type, episode, reading.timestamp)
    }
  }

  private open(
    state: VehicleLiveState,
    episodes: Map<string, Episode>,
    result: AnalysisResult,
    anomaly: Anomaly,
    reading: TelemetryReading,
    at: number,
  ): void {
    const { vehicle } = state
    const flapping = this.flaps.opened(vehicle.id, anomaly.type, at)
    const fresh = freshEpisode(anomaly, reading.timestamp, `${anomaly.type}#${this.nextKey++}`, flapping)
    episodes.set(anomaly.type, fresh)
    this.counts.opened++
    const analysis = focus(result, anomaly, this.estimate(state, anomaly))
    this.runs.enqueue(vehicle.id, () => this.effects.open(vehicle, fresh, reading, analysis))
    if (this.worthTelling(vehicle, fresh, anomaly.type, anomaly.severity))
      this.request(vehicle, fresh, { trigger: 'opened', reading, analysis })
  }

  private worthTelling(vehicle: Vehicle, episode: Episode, type: string, severity: Severity): boolean {
    return !episode.flapping || this.flaps.worthTelling(vehicle.id, type, severity)
  }

  /** Queues the episode's agent run, or folds this request into the one already queued. */
  private request(vehicle: Vehicle, episode: Episode, asked: Omit<RunRequest, 'arrivedAt'>): void {
    const queued = episode.request
    const req = { ...asked, arrivedAt: queued?.arrivedAt ?? performance.now() }
    // The first telling stays the first telling, with the newest reading and estimate.
    episode.request = queued?.trigger === 'opened' ? { ...req, trigger: 'opened' } : req
    const queuedNow = this.runs.request(
      vehicle.id,
      episode.runKey,
      SEVERITY_RANK[episode.severity],
      (turn) => {
        const next = episode.request
        episode.request = null
        return next ? this.effects.run(vehicle, episode, next, turn) : Promise.resolve()
      },
      () => {
        episode.request = null
      },
    )
    if (!queuedNow) episode.request = null
  }

  /** Flapping episodes whose signal has stayed recovered long enough are resolved. */
  private resolveQuiet(vehicle: Vehicle, episodes: Map<string, Episode>, at: number): void {
    for (const [type, episode] of episodes) {
      const since = episode.quietSince
      if (since === null || !this.flaps.quietEnough(since, at, episode.quietWall, this.now())) continue
      this.end(vehicle, episodes, type, episode, new Date(since).toISOString())
    }
  }

  /** Resolves the episode; a run still queued for it is dropped (it recovered before anyone looked). */
  private end(vehicle: Vehicle, episodes: Map<string, Episode>, type: string, episode: Episode, at: string) {
    episodes.delete(type)
    this.counts.resolved++
    if (episode.flapping) this.flaps.ended(vehicle.id, type, Date.parse(at))
    if (episode.request) {
      episode.request = null
      this.runs.cancel(vehicle.id, episode.runKey)
    }
    // After the vehicle's runs: the recovery is told after their messages, and withdraws a proposal
    // a run still in its follow-up would otherwise make after it.
    this.runs.enqueue(vehicle.id, () => this.effects.resolve(vehicle, episode, at), { afterRuns: true })
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

  /** Waits for every queued run; then writes pending counters and sends due digests. */
  async drain(): Promise<void> {
    await this.runs.drain()
    await this.flush()
    await this.runs.drain()
  }

  /** Stopping: runs not yet started are dropped (the next start finishes them), the rest drain. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer)
    const dropped = this.runs.dropQueuedRuns()
    if (dropped > 0) this.deps.log.info({ dropped }, 'queued agent runs left for the next start')
    await this.drain()
  }

  private async flush(): Promise<void> {
    for (const d of this.budget.due())
      this.runs.enqueue(d.vehicleId, () => this.deps.notifier.digest(d.vehicle, d.notices, d.count))
    const { failed, firstError } = await this.store.flush()
    if (failed > 0) this.deps.log.error({ failed, err: firstError }, 'episode update failed; will retry')
  }
}
