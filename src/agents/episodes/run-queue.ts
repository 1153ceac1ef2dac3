import { RunAdmission, type RunTurn } from './run-slots.js'

export interface RunQueueOptions {
  /** Runs (of different vehicles) in their urgent phase at once, up to the alert. */
  urgent: number
  /** Runs past their alert (the owner's message, the booking, RCA) at once. */
  followUps: number
  /**
   * Agent runs waiting to start, over all vehicles. Critical runs are never shed, so only they can
   * take the count past this (one per vehicle and episode at most).
   */
  maxPending: number
  onFailure(err: unknown, vehicleId: string): void
}

export type AgentJob = (turn: RunTurn) => Promise<void>

interface PendingRun {
  /** Severity rank of what the run is about (0 Low .. 3 Critical): who is shed first. */
  rank: number
  job: AgentJob
  /** Arrival order, so that among equals the oldest waiting run is shed. */
  seq: number
  onShed?: () => void
}

interface Op {
  fn: () => Promise<void>
  /** Waits for the vehicle's runs to end (follow-ups included), e.g. a resolve withdrawing proposals. */
  afterRuns: boolean
}

/** One vehicle's work: bookkeeping in order, then its one queued agent run (an entry per episode). */
interface Lane {
  ops: Op[]
  runs: Map<string, PendingRun>
  active: boolean
  /** Settles when every run started so far has ended; never rejects. */
  tail: Promise<void>
  tailDone: boolean
  /** Set while the lane waits for `tail` with nothing queued: new work wakes it. */
  wake?: () => void
}

const CRITICAL = 3

/**
 * A vehicle's work runs in order, different vehicles' side by side within the admission limits
 * (see `RunAdmission`). Bookkeeping (opening and resolving rows) always runs; agent runs are
 * bounded, with this policy:
 *  - fold: a vehicle has at most one queued agent run, with one entry per episode; a later request
 *    for the same episode (an escalation before the run started) replaces its entry;
 *  - shed: past `maxPending` queued entries over all vehicles, the least severe (oldest first) is
 *    dropped, or the new one when nothing queued is less severe; Critical is never shed.
 * A vehicle's queued run starts after its bookkeeping, so an episode's row exists when its run does.
 * It starts once the previous run has reached its follow-up phase (its alert is out), not when that
 * run has ended: a second episode's alert does not wait for the first one's booking and RCA. The
 * vehicle's follow-ups still run one after another, in order, and bookkeeping that must see them
 * done (`afterRuns`) waits for them.
 */
export class VehicleRunQueue {
  private readonly lanes = new Map<string, Lane>()
  private readonly admission: RunAdmission
  private readonly idle: (() => void)[] = []
  private pending = 0
  private ops = 0
  private seq = 0
  private readonly counts = {
    foldedRuns: 0,
    shedRuns: 0,
    cancelledRuns: 0,
    droppedAtStop: 0,
    maxPendingSeen: 0,
  }

  constructor(private readonly opts: RunQueueOptions) {
    this.admission = new RunAdmission({ urgent: opts.urgent, followUps: opts.followUps })
  }

  get stats() {
    return {
      queuedRuns: this.pending,
      queuedOps: this.ops,
      maxQueuedRuns: this.opts.maxPending,
      ...this.counts,
      ...this.admission.stats,
    }
  }

  /**
   * Bookkeeping for a vehicle, in order with its other work; never shed. With `afterRuns` it also
   * waits for the runs started before it to end.
   */
  enqueue(vehicleId: string, op: () => Promise<void>, opts?: { afterRuns?: boolean }): void {
    this.ops++
    this.lane(vehicleId).ops.push({ fn: op, afterRuns: opts?.afterRuns ?? false })
    this.pump(vehicleId)
  }

  /**
   * Asks for an agent run about `key` (an episode) of a vehicle. Returns false when the request
   * was shed. `onShed` is told about an earlier entry shed to make room.
   */
  request(vehicleId: string, key: string, rank: number, job: AgentJob, onShed?: () => void): boolean {
    const lane = this.lane(vehicleId)
    const queued = lane.runs.get(key)
    if (queued) {
      this.counts.foldedRuns++
      lane.runs.set(key, { rank: Math.max(rank, queued.rank), job, seq: queued.seq, onShed })
      return true
    }
    if (this.pending >= this.opts.maxPending && rank < CRITICAL && !this.shedBelow(rank)) {
      this.counts.shedRuns++
      if (!lane.active && lane.ops.length === 0 && lane.runs.size === 0) this.lanes.delete(vehicleId)
      return false
    }
    lane.runs.set(key, { rank, job, seq: this.seq++, onShed })
    this.pending++
    this.counts.maxPendingSeen = Math.max(this.counts.maxPendingSeen, this.pending)
    this.pump(vehicleId)
    return true
  }

  /** The episode ended before its queued run started: the run is not news any more. */
  cancel(vehicleId: string, key: string): void {
    const lane = this.lanes.get(vehicleId)
    if (!lane?.runs.delete(key)) return
    this.pending--
    this.counts.cancelledRuns++
  }

  /** Drops the least severe queued entry below `rank`, oldest first; false when there is none. */
  private shedBelow(rank: number): boolean {
    let victim: { lane: Lane; key: string; run: PendingRun } | undefined
    for (const lane of this.lanes.values()) {
      for (const [key, run] of lane.runs) {
        if (run.rank >= rank) continue
        if (
          !victim ||
          run.rank < victim.run.rank ||
          (run.rank === victim.run.rank && run.seq < victim.run.seq)
        )
          victim = { lane, key, run }
      }
    }
    if (!victim) return false
    victim.lane.runs.delete(victim.key)
    this.pending--
    this.counts.shedRuns++
    victim.run.onShed?.()
    return true
  }

  private lane(vehicleId: string): Lane {
    let lane = this.lanes.get(vehicleId)
    if (!lane) {
      lane = { ops: [], runs: new Map(), active: false, tail: Promise.resolve(), tailDone: true }
      this.lanes.set(vehicleId, lane)
    }
    return lane
  }

  private pump(vehicleId: string): void {
    const lane = this.lanes.get(vehicleId)
    if (!lane) return
    if (lane.active) {
      lane.wake?.()
      return
    }
    lane.active = true
    void this.work(vehicleId, lane)
  }

  private async work(vehicleId: string, lane: Lane): Promise<void> {
    for (;;) {
      const op = lane.ops.shift()
      if (op) {
        if (op.afterRuns) await lane.tail
        await op.fn().catch((err) => this.opts.onFailure(err, vehicleId))
        this.ops--
        continue
      }
      // The most severe of the vehicle's queued episodes first.
      const next = [...lane.runs.entries()].sort((a, b) => b[1].rank - a[1].rank || a[1].seq - b[1].seq)[0]
      if (next) {
        lane.runs.delete(next[0])
        this.pending--
        await this.start(vehicleId, lane, next[1].job)
        continue
      }
      if (lane.tailDone) break
      // Nothing queued, a follow-up still going: the lane (and `drain`) lasts until it ends.
      await new Promise<void>((resolve) => {
        lane.wake = resolve
        void lane.tail.then(resolve)
      })
      lane.wake = undefined
    }
    lane.active = false
    this.lanes.delete(vehicleId)
    if (this.lanes.size === 0) for (const resolve of this.idle.splice(0)) resolve()
  }

  /** Starts a run; resolves once it has left its urgent phase (or ended). */
  private async start(vehicleId: string, lane: Lane, job: AgentJob): Promise<void> {
    let urgentOver!: () => void
    const leftUrgent = new Promise<void>((resolve) => {
      urgentOver = resolve
    })
    const ended = this.admission
      .run(
        (turn) =>
          job({
            followUp: () => {
              urgentOver()
              return turn.followUp()
            },
          }),
        lane.tail,
      )
      .catch((err) => this.opts.onFailure(err, vehicleId))
    const tail = Promise.all([lane.tail, ended]).then(() => {
      if (lane.tail === tail) lane.tailDone = true
    })
    lane.tail = tail
    lane.tailDone = false
    await Promise.race([leftUrgent, ended])
  }

  /**
   * Stopping: queued agent runs are dropped (their episodes stay undiagnosed and are run again
   * by the next start, see `EpisodeStore.loadOpen`); bookkeeping and runs already started finish.
   */
  dropQueuedRuns(): number {
    let dropped = 0
    for (const lane of this.lanes.values()) {
      dropped += lane.runs.size
      lane.runs.clear()
    }
    this.pending -= dropped
    this.counts.droppedAtStop += dropped
    return dropped
  }

  /** Resolves once every vehicle's work (including work queued meanwhile) has ended. */
  drain(): Promise<void> {
    if (this.lanes.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }
}
