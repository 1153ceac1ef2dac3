import { RunAdmission, type RunTurn } from './run-slots.js'

export interface RunQueueOptions {
  /** Runs (of different vehicles) in their urgent phase at once, up to the alert. */
  urgent: number
  /** Runs past their alert (the owner's message, the booking, RCA) at once. */
  followUps: number
  onFailure(err: unknown, vehicleId: string): void
}

/**
 * Agent runs, one vehicle's in reading order and different vehicles' side by side within the
 * admission limits (see `RunAdmission`).
 */
export class VehicleRunQueue {
  private readonly queues = new Map<string, Promise<void>>()
  private readonly admission: RunAdmission
  private queued = 0

  constructor(private readonly opts: RunQueueOptions) {
    this.admission = new RunAdmission({ urgent: opts.urgent, followUps: opts.followUps })
  }

  get stats() {
    return { queuedRuns: this.queued, ...this.admission.stats }
  }

  enqueue(vehicleId: string, job: (turn: RunTurn) => Promise<void>): void {
    this.queued++
    const previous = this.queues.get(vehicleId) ?? Promise.resolve()
    const next = previous
      .then(() => this.admission.run(job))
      .catch((err) => this.opts.onFailure(err, vehicleId))
      .finally(() => {
        this.queued--
        if (this.queues.get(vehicleId) === next) this.queues.delete(vehicleId)
      })
    this.queues.set(vehicleId, next)
  }

  /** Resolves once every queued run (including runs queued meanwhile) has ended. */
  async drain(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()])
  }
}
