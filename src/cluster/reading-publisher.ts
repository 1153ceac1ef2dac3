import type { JetStreamClient } from '@nats-io/jetstream'
import type { ReadingSink, SubmitResult } from '../ingest/pipeline.js'
import { normaliseDeviceReading } from '../ingest/reading-intake.js'
import type { Subjects } from './partitions.js'

export interface PublisherStats {
  published: number
  /** Dropped by the server as a resend (same Nats-Msg-Id: VIN and timestamp). */
  duplicates: number
  rejected: number
  /** Publishes the stream did not confirm (broker away, timeout): the device sends again. */
  failed: number
  inFlight: number
}

const LATER = {
  status: 'rejected',
  code: 'OVERLOADED',
  message: 'The stream did not take it; send it again later',
} as const

/**
 * Device intake of an API process: a reading is checked (the same rules as the pipeline's), put on
 * the stream, and acknowledged to the device once JetStream confirms it is stored. The worker that
 * owns the vehicle's partition analyses and stores it; a resend inside the duplicate window is
 * dropped by the server, and one after it by the database's (vehicle, timestamp) key.
 */
export class ReadingPublisher implements ReadingSink {
  private draining = false
  private readonly counts: PublisherStats = {
    published: 0,
    duplicates: 0,
    rejected: 0,
    failed: 0,
    inFlight: 0,
  }

  constructor(
    private readonly js: JetStreamClient,
    private readonly subjects: Subjects,
    private readonly connected: () => boolean,
  ) {}

  get accepting(): boolean {
    return !this.draining && this.connected()
  }

  get stats(): PublisherStats {
    return { ...this.counts }
  }

  async submit(raw: unknown, vin: string): Promise<SubmitResult> {
    if (this.draining)
      return {
        status: 'rejected',
        code: 'SHUTTING_DOWN',
        message: 'The service is stopping; send it again later',
      }
    const reading = normaliseDeviceReading(raw, vin, Date.now())
    if ('status' in reading) {
      this.counts.rejected++
      return reading
    }
    this.counts.inFlight++
    try {
      const ack = await this.js.publish(this.subjects.reading(vin), JSON.stringify(reading), {
        msgID: `${vin}.${Date.parse(reading.timestamp)}`,
      })
      if (ack.duplicate) {
        this.counts.duplicates++
        return { status: 'duplicate' }
      }
      this.counts.published++
      return { status: 'stored' }
    } catch {
      this.counts.failed++
      return LATER
    } finally {
      this.counts.inFlight--
    }
  }

  /** Takes nothing more; what is in flight still gets its answer. */
  stopIntake(): void {
    this.draining = true
  }

  /** Resolves once every publish in flight has its answer. */
  async drain(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs
    while (this.counts.inFlight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  }
}
