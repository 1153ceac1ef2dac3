import type { FastifyBaseLogger } from 'fastify'
import type { Repositories } from '../../db/repositories/index.js'
import type { VehicleLiveState } from '../../ingest/pipeline.js'
import { alertHeadline } from '../../lib/alert-headline.js'
import type { AnalysisResult } from '../../schemas/analysis.js'
import type { TelemetryReading } from '../../schemas/telemetry.js'
import type { MasterGraph } from '../master.js'
import type { RunObserver, RunOutcome } from './episode-options.js'
import type { Episode, EpisodeStore, RunRequest } from './episode-store.js'
import { runEpisodeGraph } from './graph-runner.js'
import type { Notifier } from './notifier.js'
import type { RunTurn } from './run-slots.js'
import type { FlapTracker, OwnerBudget } from './storm-guard.js'

type Vehicle = VehicleLiveState['vehicle']

export interface EffectsDeps {
  graph: MasterGraph
  repos: Repositories
  notifier: Notifier
  log: FastifyBaseLogger
  store: EpisodeStore
  flaps: FlapTracker
  budget: OwnerBudget<Vehicle>
  counts: { graphRuns: number; quietRuns: number }
  observer?: RunObserver
}

/**
 * What an episode does outside the hot path: its row (open, escalate, resolve: bookkeeping, never
 * shed) and its agent runs (queued, folded, maybe shed; see `VehicleRunQueue`). Whether the owner
 * is told is decided when a run starts, from the owner's notification budget.
 */
export class EpisodeEffects {
  constructor(private readonly deps: EffectsDeps) {}

  async open(vehicle: Vehicle, episode: Episode, reading: TelemetryReading, analysis: AnalysisResult) {
    const anomaly = analysis.anomalies[0]!
    const { anomalies } = this.deps.repos
    const created = await anomalies.openEpisode(vehicle.id, anomaly.type, anomaly.severity, reading, {
      detectedAt: reading.timestamp,
      reason: anomaly.reason,
      signals: anomaly.signals,
      rul: analysis.rul,
      peakValues: episode.peaks,
      flapping: episode.flapping,
    })
    episode.eventId = created.event.id
    if (!created.opened) {
      // Another run (or an earlier life of the service) opened it: continue that episode, and
      // finish its run if that life ended before the diagnosis (its effects are keyed on the
      // episode, so nothing happens twice). Its row gets the estimate this run tells people.
      episode.acknowledged = created.event.status === 'ACKNOWLEDGED'
      episode.dirty = true
      const diagnosed = (await this.deps.repos.diagnoses.listForEvent(created.event.id)).length > 0
      episode.settled = diagnosed || episode.acknowledged
      if (analysis.rul) await anomalies.updateRul(created.event.id, analysis.rul, reading.timestamp)
      if (episode.flapping && !created.event.flapping) await anomalies.markFlapping(created.event.id)
    }
    if (episode.flapping) this.deps.notifier.flapping({ ...created.event, flapping: true }, vehicle)
  }

  /** The row is the one source: a higher severity and its re-made estimate, told or not. */
  async escalate(episode: Episode, analysis: AnalysisResult, at: string) {
    if (!episode.eventId) return
    const anomaly = analysis.anomalies[0]
    await this.deps.repos.anomalies.raiseSeverity(
      episode.eventId,
      episode.severity,
      analysis.rul!,
      at,
      anomaly ? { reason: anomaly.reason, signals: anomaly.signals } : undefined,
    )
  }

  async restate(episode: Episode, analysis: AnalysisResult, at: string) {
    if (episode.eventId && analysis.rul)
      await this.deps.repos.anomalies.updateRul(episode.eventId, analysis.rul, at)
  }

  /** The queued run of an episode starts: the graph, told to the owner when their budget allows. */
  async run(vehicle: Vehicle, episode: Episode, req: RunRequest, turn: RunTurn) {
    if (!episode.eventId) return
    if (req.trigger === 'opened' && episode.settled) return
    const type = req.analysis.anomaly_type ?? ''
    const { flaps, budget, counts } = this.deps
    // A flapping episode's run was asked for because it rose above what the owner heard; it may
    // have been told meanwhile.
    if (episode.flapping && !flaps.worthTelling(vehicle.id, type, episode.severity)) return
    const notify = budget.admit(vehicle.id, episode.severity)
    if (notify) flaps.told(vehicle.id, type, episode.severity)
    else {
      counts.quietRuns++
      budget.hold(vehicle.id, vehicle, {
        anomalyType: type,
        severity: episode.severity,
        headline: alertHeadline(type, req.analysis.signals),
      })
    }
    counts.graphRuns++
    episode.settled = true
    const { notifier, observer } = this.deps
    const started = performance.now()
    let outcome: RunOutcome = 'failed'
    let final: Awaited<ReturnType<typeof runEpisodeGraph>>
    const row = await this.deps.repos.anomalies.getAnomalyEvent(episode.eventId)
    try {
      final = await runEpisodeGraph(
        this.deps.graph,
        {
          vehicle,
          eventId: episode.eventId,
          reading: req.reading,
          analysis: req.analysis,
          trigger: req.trigger,
          turn,
          notifyOwner: notify,
          declinedSeverity: row?.owner_declined_severity ?? null,
          repeatOf: row?.repeat_of ?? null,
        },
        {
          onDiagnosed: async (diagnosed) => {
            await notifier.alert(diagnosed, vehicle, row)
            observer?.alertSent(diagnosed.severity, (performance.now() - req.arrivedAt) / 1000)
          },
        },
      )
      outcome = final?.error ? 'error' : 'completed'
    } finally {
      // Up to the graph's end, its wait for a follow-up slot included; the messages after are not the run's.
      observer?.runEnded(outcome, (performance.now() - started) / 1000)
    }
    if (!final) return
    if (final.error) {
      this.deps.log.warn({ vin: vehicle.vin, error: final.error }, 'agent run ended with an error')
      await notifier.fallback(final, vehicle)
    }
    await notifier.announce(final, vehicle)
  }

  async resolve(vehicle: Vehicle, episode: Episode, at: string) {
    if (!episode.eventId) return
    await this.deps.store.writeCounters(episode)
    const event = await this.deps.repos.anomalies.resolveEpisode(episode.eventId, at, 'recovered')
    if (!event) return
    this.deps.notifier.resolved(event, vehicle)
    const withdrawn = await this.deps.repos.bookings.cancelProposalsFor(event.id)
    if (withdrawn.length) await this.deps.notifier.proposalsWithdrawn(event, vehicle, withdrawn)
  }
}
