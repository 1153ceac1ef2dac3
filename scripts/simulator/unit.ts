import { Rng } from '../../src/simulation/fleet-random.js'
import type { Counters } from './counters.js'
import type { FleetSource, SourceVehicle } from './fleet-source.js'
import { Bitset } from './ledger.js'

/** Readings of one message or request, in send order; a deliberate duplicate appears twice. */
export interface Batch {
  steps: number[]
  readings: Array<Record<string, number | string>>
  /** When it was first handed to the transport (performance.now()), for the ack latency. */
  firstSentAt?: number
}

/**
 * Leaves room under the service's 1,000 readings per message for the duplicates added on
 * purpose, and keeps one message of a unit that fell behind a moderate size.
 */
const MAX_STEPS_PER_BATCH = 500

export interface UnitPlan {
  vin: string
  token: string
  source: SourceVehicle
  /** Real time (epoch ms) of the first measurement: until `begin`, the offset from the run's start. */
  startMs: number
  /** The unit's clock error: added to every timestamp it sends. */
  skewMs: number
  periodMs: number
  /** Readings to measure; Infinity until stopped. */
  total: number
  /** Where in its source vehicle's rows this unit starts, so units sharing a source differ. */
  rowOffset: number
  duplicates: number
  outOfOrder: number
  seed: number
}

/**
 * One telematics unit's clock and books: reading `step` is measured at startMs + step * period on
 * the real clock and stamped with the unit's own (skewed) clock; what it sent and what was
 * acknowledged are kept per step. The transport (MQTT or HTTP) takes its batches from `queue`.
 */
export class Unit {
  readonly sent = new Bitset()
  readonly acked = new Bitset()
  readonly queue: Batch[] = []
  /** Readings handed to the transport and not yet acknowledged or rejected. */
  inFlight = 0
  /** Readings reported rejected that cannot be told apart (MQTT's errors topic names no message). */
  unattributedRejections = 0
  private next = 0
  private total: number
  private readonly rng: Rng

  constructor(
    readonly plan: UnitPlan,
    private readonly fleet: FleetSource,
  ) {
    this.total = plan.total
    this.rng = new Rng(plan.seed, plan.vin)
  }

  /** The run starts at `t0` (epoch ms): measurements begin at t0 plus this unit's offset. */
  begin(t0: number): void {
    this.plan.startMs += t0
  }

  get vin(): string {
    return this.plan.vin
  }

  timestampOf(step: number): number {
    return this.plan.startMs + this.plan.skewMs + Math.round(step * this.plan.periodMs)
  }

  /** The step a stored timestamp belongs to, or undefined when this unit never stamped it. */
  stepOf(ts: number): number | undefined {
    const step = Math.round((ts - this.plan.startMs - this.plan.skewMs) / this.plan.periodMs)
    return step >= 0 && this.timestampOf(step) === ts ? step : undefined
  }

  /** No more measurements; what is queued or in flight still goes out. */
  stopMeasuring(): void {
    this.total = Math.min(this.total, this.next)
  }

  get measuring(): boolean {
    return this.next < this.total
  }

  get idle(): boolean {
    return !this.measuring && this.queue.length === 0 && this.inFlight === 0
  }

  /** Queues every reading due by `nowMs`, with the planned duplicates and swaps. */
  measure(nowMs: number, counters: Counters): void {
    const { startMs, periodMs } = this.plan
    const due = Math.min(this.total, Math.floor((nowMs - startMs) / periodMs) + 1)
    while (this.next < due) {
      const end = Math.min(due, this.next + MAX_STEPS_PER_BATCH)
      this.queue.push(this.batch(this.next, end, counters))
      this.next = end
    }
  }

  private batch(from: number, to: number, counters: Counters): Batch {
    // Kept inside one batch so that the service sees them in exactly this order: a swapped pair
    // makes its older reading late; a copy right after the original is a duplicate of the newest.
    const steps: number[] = []
    for (let s = from; s < to; s++) {
      if (s + 1 < to && this.rng.chance(this.plan.outOfOrder)) {
        steps.push(s + 1, s)
        counters.outOfOrderSent++
        s++
        continue
      }
      steps.push(s)
      if (this.rng.chance(this.plan.duplicates)) {
        steps.push(s)
        counters.duplicatesSent++
      }
    }
    const readings = steps.map((s) => ({
      timestamp: new Date(this.timestampOf(s)).toISOString(),
      ...this.fleet.values(this.plan.source, this.plan.rowOffset + s),
    }))
    for (const s of steps) this.sent.add(s)
    counters.sent += steps.length
    return { steps, readings }
  }

  /** Marks the readings of `batch` acknowledged, except the positions in `rejected`. */
  acknowledge(batch: Batch, counters: Counters, rejected: ReadonlySet<number> = new Set()): void {
    batch.steps.forEach((s, i) => {
      if (!rejected.has(i) && this.acked.add(s)) counters.acknowledged++
    })
    counters.messagesAcknowledged++
    if (batch.firstSentAt !== undefined) counters.latencies.push(performance.now() - batch.firstSentAt)
  }
}
