import type { FleetMessage } from './messages.js'

/**
 * Everything Autonoma tells people in real time travels as a `FleetMessage` (see `messages.ts`,
 * the contract), wrapped with who may see it.
 */
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
