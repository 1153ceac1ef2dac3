import type { NatsConnection, Subscription } from '@nats-io/transport-node'
import type { EventBus, FleetHandler } from '../ingest/event-bus.js'
import type { FleetMessage } from '../ingest/messages.js'
import type { Subjects } from './partitions.js'

/**
 * The event bus across processes: every message goes out on core NATS (`events.<type>.<vin>`),
 * and a process that `listens` (an API process) hands every one it receives, its own included, to
 * its subscribers (the WebSocket hub, the MQTT alert relay). At most once, like a WebSocket push:
 * what must not be lost (alarms, bookings) is in the database and read back by the dashboards.
 * The wire form is a JSON header line, then the data's JSON as the publisher serialized it, so
 * the hub frames it without serializing again.
 */
export class NatsEventBus implements EventBus {
  private readonly handlers = new Set<FleetHandler>()
  private readonly subscription: Subscription | undefined
  private readonly counts = { published: 0, received: 0, malformed: 0 }

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    options: { listen: boolean; onHandlerError?: (err: unknown) => void },
  ) {
    if (!options.listen) return
    this.subscription = nc.subscribe(subjects.events, {
      callback: (err, msg) => {
        if (err) return
        const message = decode(msg.string())
        if (!message) {
          this.counts.malformed++
          return
        }
        this.counts.received++
        for (const handler of this.handlers) {
          try {
            handler(message)
          } catch (e) {
            options.onHandlerError?.(e)
          }
        }
      },
    })
  }

  publish(message: FleetMessage): void {
    if (this.nc.isClosed()) return
    const { type, vin, ownerId, roles } = message
    const data = message.dataJson ?? JSON.stringify(message.data)
    this.nc.publish(
      this.subjects.event(type, vin),
      `${JSON.stringify({ type, vin, ownerId, roles })}\n${data}`,
    )
    this.counts.published++
  }

  subscribe(handler: FleetHandler): () => void {
    this.handlers.add(handler)
    return () => {
      this.handlers.delete(handler)
    }
  }

  get subscriberCount(): number {
    return this.handlers.size
  }

  get stats(): { published: number; received: number; malformed: number; listening: boolean } {
    return { ...this.counts, listening: this.subscription !== undefined }
  }
}

function decode(text: string): FleetMessage | undefined {
  const cut = text.indexOf('\n')
  if (cut < 0) return undefined
  try {
    const header = JSON.parse(text.slice(0, cut)) as Omit<FleetMessage, 'data' | 'dataJson'>
    const dataJson = text.slice(cut + 1)
    return { ...header, data: JSON.parse(dataJson), dataJson } as FleetMessage
  } catch {
    return undefined
  }
}
