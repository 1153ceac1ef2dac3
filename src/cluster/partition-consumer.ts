import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream'
import type { FastifyBaseLogger } from 'fastify'
import type { SubmitResult } from '../ingest/pipeline.js'
import { freshConsumer, type NatsLink } from './nats-connection.js'

/** What a worker's consumers hand readings to: the ingestion pipeline. */
export interface ReadingTarget {
  /** Resolves after the database commit (or the refusal): the message is acknowledged then. */
  submit(raw: unknown, vin: string): Promise<SubmitResult>
  /** False while the writer is saturated: the consumer waits rather than overflow it. */
  readonly accepting: boolean
  vehicleState(vin: string): unknown
  loadVehicles(): Promise<void>
}

export interface PartitionStats {
  partition: number
  delivered: number
  acked: number
  /** Handed out again by the server (an ack that never came back in time). */
  redelivered: number
  /** Sent back for later (the writer refused for now). */
  naked: number
  /** Dropped for good: not JSON, or a vehicle that does not exist (decommissioned). */
  terminated: number
  inFlight: number
  since: string
}

/** Refusals for now: the reading comes back later rather than being dropped. */
const LATER: ReadonlySet<string> = new Set(['OVERLOADED', 'SHUTTING_DOWN'])

/**
 * One partition's readings, consumed in stream order by the worker that holds its lease. Each
 * message is handed to the pipeline as it arrives (a plain call, so a vehicle's readings are
 * analysed in order) and acknowledged once its row is committed: the writer's batching makes that
 * many readings per commit, up to the consumer's max_ack_pending in flight.
 */
export class PartitionConsumer {
  private messages: ConsumerMessages | undefined
  private loop: Promise<void> | undefined
  private stopped = false
  /** Unknown VINs and when the directory was last read for them: one read per VIN per 5 s. */
  private readonly unknown = new Map<string, number>()
  private readonly counts: PartitionStats

  constructor(
    private readonly link: NatsLink,
    readonly partition: number,
    private readonly target: ReadingTarget,
    private readonly log: FastifyBaseLogger,
    /** What else must be in the database before a committed reading is acknowledged. */
    private readonly settled: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.counts = {
      partition,
      delivered: 0,
      acked: 0,
      redelivered: 0,
      naked: 0,
      terminated: 0,
      inFlight: 0,
      since: new Date().toISOString(),
    }
  }

  get stats(): PartitionStats {
    return { ...this.counts }
  }

  async start(): Promise<void> {
    await freshConsumer(this.link, this.partition)
    const consumer = await this.link.js.consumers.get(
      this.link.config.stream,
      this.link.consumerName(this.partition),
    )
    if (this.stopped) return
    this.messages = await consumer.consume({ max_messages: 1000 })
    this.loop = this.run(this.messages).catch((err) => {
      if (!this.stopped) this.log.error({ err, partition: this.partition }, 'partition consumer failed')
    })
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.stopped) return
      this.counts.delivered++
      if (m.redelivered) this.counts.redelivered++
      const vin = m.subject.slice(m.subject.lastIndexOf('.') + 1)
      // A vehicle onboarded through another process since the directory was loaded: the rest of
      // the partition waits for the reload, so its readings stay in order.
      if (this.target.vehicleState(vin) === undefined) {
        if (Date.now() - (this.unknown.get(vin) ?? 0) > 5000) {
          if (this.unknown.size > 10_000) this.unknown.clear()
          this.unknown.set(vin, Date.now())
          await this.target.loadVehicles()
        }
        if (this.target.vehicleState(vin) === undefined) {
          this.counts.terminated++
          m.term('unknown vehicle')
          continue
        }
      }
      while (!this.target.accepting && !this.stopped) await new Promise((r) => setTimeout(r, 50))
      this.take(m, vin)
    }
  }

  private take(m: JsMsg, vin: string): void {
    let raw: unknown
    try {
      raw = m.json()
    } catch {
      this.counts.terminated++
      m.term('not JSON')
      return
    }
    this.counts.inFlight++
    void this.target
      .submit(raw, vin)
      .then(async (result) => {
        if (result.status === 'rejected' && LATER.has(result.code)) return false
        await this.settled()
        return true
      })
      // A write that failed: the reading comes back (a duplicate then, its effects not doubled).
      .catch((err) => {
        this.log.warn({ err, partition: this.partition, vin }, 'reading not settled; redelivered later')
        return false
      })
      .then((done) => {
        this.counts.inFlight--
        if (done) {
          this.counts.acked++
          m.ack()
        } else {
          this.counts.naked++
          m.nak(1000)
        }
      })
  }

  /** Takes no further message; those in flight are still acknowledged once committed. */
  stop(): void {
    this.stopped = true
    void this.messages?.close()
  }

  /** Resolves once every reading taken is committed and acknowledged, or after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    this.stop()
    const end = Date.now() + timeoutMs
    while (this.counts.inFlight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    await this.loop
  }
}
