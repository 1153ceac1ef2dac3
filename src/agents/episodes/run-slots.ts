/** A counting semaphore: `acquire` waits its turn in arrival order; `release` hands the slot on. */
class Slots {
  private used = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly size: number) {}

  get inUse(): number {
    return this.used
  }

  get queued(): number {
    return this.waiting.length
  }

  async acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++
      return
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve))
  }

  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.used--
  }
}

/**
 * What one agent run holds. A run starts in the urgent phase (its anomaly event and diagnosis,
 * which end in the alert) and moves to the follow-up phase (the owner's message, the booking,
 * RCA) when it calls `followUp`. The two phases have separate slots, so a burst of episodes
 * gets its alerts out first and its follow-ups after, a few at a time, instead of every alert
 * waiting behind other runs' scheduling and RCA.
 */
export interface RunTurn {
  /** Leaves the urgent phase and waits for a follow-up slot. Idempotent. */
  followUp(): Promise<void>
}

export class RunAdmission {
  private readonly urgent: Slots
  private readonly followUps: Slots

  constructor(sizes: { urgent: number; followUps: number }) {
    this.urgent = new Slots(Math.max(1, sizes.urgent))
    this.followUps = new Slots(Math.max(1, sizes.followUps))
  }

  /** Runs in each phase now, and runs waiting for each. */
  get stats() {
    return {
      urgentRuns: this.urgent.inUse,
      urgentWaiting: this.urgent.queued,
      followUpRuns: this.followUps.inUse,
      followUpWaiting: this.followUps.queued,
    }
  }

  /**
   * Runs `job` once an urgent slot is free; whatever slot it holds is released when it ends. Its
   * follow-up phase starts no earlier than `after` (the same vehicle's previous run), which it
   * waits for holding neither slot.
   */
  async run(job: (turn: RunTurn) => Promise<void>, after?: Promise<void>): Promise<void> {
    await this.urgent.acquire()
    // Null while the run is in its urgent phase; then the wait for (or grant of) its follow-up slot.
    let followUp: Promise<void> | null = null
    const turn: RunTurn = {
      followUp: () => {
        if (!followUp) {
          this.urgent.release()
          followUp = after ? after.then(() => this.followUps.acquire()) : this.followUps.acquire()
        }
        return followUp
      },
    }
    try {
      await job(turn)
    } finally {
      const granted = followUp as Promise<void> | null
      if (!granted) this.urgent.release()
      // A follow-up slot still being waited for is released once granted, so it is never lost.
      else void granted.then(() => this.followUps.release())
    }
  }
}
