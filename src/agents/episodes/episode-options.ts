import type { FastifyBaseLogger } from 'fastify'
import type { Repositories } from '../../db/repositories/index.js'
import type { Severity } from '../../domain.js'
import type { DataAnalysisAgent } from '../detection/data-agent.js'
import type { MasterGraph } from '../master.js'
import type { Notifier } from './notifier.js'
import type { FlapOptions, OwnerLimitOptions } from './storm-guard.js'

export interface EpisodeStats {
  analyzed: number
  opened: number
  escalated: number
  resolved: number
  graphRuns: number
  /** Runs whose owner was past their notification limit: staff alerted, owner told in a digest. */
  quietRuns: number
  graphFailures: number
  /** Agent runs waiting to start (at most one per vehicle, an entry per episode), and the bound. */
  queuedRuns: number
  maxQueuedRuns: number
  /** Row writes waiting in vehicles' lanes. */
  queuedOps: number
  /**
   * Requests folded into a queued run, shed because the queue was full, cancelled because the
   * episode resolved before its run started, dropped when stopping.
   */
  foldedRuns: number
  shedRuns: number
  cancelledRuns: number
  droppedAtStop: number
  maxPendingSeen: number
  /** Episodes flagged as flapping; notices held back for digests; digests sent. */
  flapping: number
  heldNotices: number
  digests: number
  /** Runs in their urgent phase (up to the alert) and past it, and runs waiting for either. */
  urgentRuns: number
  urgentWaiting: number
  followUpRuns: number
  followUpWaiting: number
}

/** How an agent run ended: its final state, the final state with an error (fallback sent), or it threw. */
export type RunOutcome = 'completed' | 'error' | 'failed'

/** Told of every agent run and alert (the metrics); called off the per-reading path. */
export interface RunObserver {
  runEnded(outcome: RunOutcome, seconds: number): void
  /** `seconds`: from the arrival in this process of the reading that asked for the run to the alert. */
  alertSent(severity: Severity, seconds: number): void
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
  /** Agent runs waiting over all vehicles before the least severe are shed. Default 64. */
  maxQueuedRuns?: number
  /**
   * When an episode counts as flapping (reading time): default 3 openings in 7 days; resolved
   * after 24 h of readings and 5 minutes clear.
   */
  flap?: FlapOptions
  /** Owner messages per vehicle (wall time). Default 4 an hour, then a digest; Critical always. */
  ownerLimit?: OwnerLimitOptions
  /** Wall clock for the owner limit and flapping recoveries (tests). */
  now?: () => number
  observer?: RunObserver
}
