import type { Role } from '../domain.js'

/**
 * Everything Autonoma tells people in real time travels as a `{type, data}` message (the
 * requirements' WebSocket contract), wrapped with who may see it. The WebSocket hub delivers a
 * message to the vehicle's owner when `ownerId` matches, and to staff whose role is in `roles`.
 */
export type FleetMessageType = 'telemetry' | 'alert' | 'chat' | 'booking' | 'security' | 'ueba' | 'alarm'

export interface FleetMessage<T extends FleetMessageType = FleetMessageType, D = unknown> {
  type: T
  data: D
  /** The vehicle it is about, if any (lets staff narrow their subscription by VIN). */
  vin: string | null
  /** The owner who should receive it, or null for staff-only messages. */
  ownerId: string | null
  /** Staff roles that receive it too. */
  roles: readonly Role[]
  /** `JSON.stringify(data)`, when the publisher has it already: the hub frames it as is. */
  dataJson?: string
}

export type FleetHandler = (message: FleetMessage) => void

/**
 * A narrow publish/subscribe seam. The in-process implementation below is what one server
 * needs; a broker-backed one (NATS, Redis) can implement the same two methods to fan out
 * across servers.
 */
export interface EventBus {
  publish(message: FleetMessage): void
  /** Returns the unsubscribe function. */
  subscribe(handler: FleetHandler): () => void
  readonly subscriberCount: number
}

export class InProcessEventBus implements EventBus {
  private readonly handlers = new Set<FleetHandler>()
  constructor(private readonly onHandlerError?: (err: unknown) => void) {}

  publish(message: FleetMessage): void {
    for (const handler of this.handlers) {
      // One failing subscriber must not starve the others or the publisher.
      try {
        handler(message)
      } catch (err) {
        this.onHandlerError?.(err)
      }
    }
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
}
