import type { AuthUser } from '../../auth/tokens.js'
import type { Repositories } from '../../db/repositories/index.js'
import { AppError } from '../../errors.js'
import { KeyedSerial } from '../../lib/keyed-serial.js'
import type { BookingService } from '../../services/booking.service.js'
import type { ChatAgent } from './chat-agent.js'
import type { ChatRequest, ChatResult } from './types.js'

/**
 * One chat turn, whichever way it came in (REST or WebSocket): stored and answered by the chat
 * agent, then announced to the owner's dashboards (both messages and any booking it changed).
 */
export class Conversation {
  /**
   * One turn per vehicle at a time: a "yes" sent twice (a double click, a second tab) is answered
   * in order, the second one seeing what the first booked.
   */
  private readonly turns = new KeyedSerial()

  constructor(
    private readonly deps: {
      agent: ChatAgent
      bookings: BookingService
      repos: Pick<Repositories, 'vehicles'>
    },
  ) {}

  async converse(req: ChatRequest): Promise<ChatResult> {
    const turn = await this.turns.run(req.vehicle.id, () => this.deps.agent.reply(req))
    // A retried turn was announced by its first try.
    if (turn.replayed) return turn
    this.deps.bookings.announce(
      { vin: req.vehicle.vin, ownerId: req.vehicle.owner_id },
      { messages: [turn.question, turn.reply], bookings: turn.changed },
    )
    return turn
  }

  /** A chat message sent over the WebSocket; the reply reaches the socket through the bus. */
  async fromSocket(user: AuthUser, vin: string, content: string): Promise<void> {
    if (user.role !== 'customer') throw new AppError('FORBIDDEN')
    const viewer = { id: user.id, role: 'customer' as const }
    const vehicle = await this.deps.repos.vehicles.findVisibleByVin(viewer, vin)
    if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
    await this.converse({ user: viewer, vehicle, content })
  }
}
