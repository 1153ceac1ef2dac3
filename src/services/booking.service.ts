import type { FastifyBaseLogger } from 'fastify'
import { isUniqueViolation } from '../db/errors.js'
import type { BookingView } from '../db/repositories/bookings.js'
import type { Repositories, Viewer } from '../db/repositories/index.js'
import type {
  AnomalyEvent,
  BookingFeedback,
  ChatMessage,
  ServiceBooking,
  ServiceCenter,
} from '../db/schema.js'
import type { BookingStatus } from '../domain.js'
import { AppError } from '../errors.js'
import type { EventBus } from '../ingest/event-bus.js'
import { type Audience, messages } from '../ingest/messages.js'
import { allowedTransitions, canTransition } from '../schemas/booking-rules.js'
import type { BookOptions, BookResult } from './booking-types.js'
import { FeedbackService, type Rating } from './feedback.service.js'
import { assertBookableTime, centersFor, centersWithSlotAt, toDate } from './slot-grid.js'

export type { BookOptions, BookResult } from './booking-types.js'

/** A customer's booking request, as the bookings API takes it. */
export interface NewBooking {
  vehicleId?: string
  vin?: string
  slotTime: Date | string
  serviceCenterId?: string
  notes?: string | null
  idempotencyKey?: string | null
}

export interface BookingServiceDeps {
  repos: Pick<Repositories, 'bookings' | 'serviceCenters' | 'vehicles' | 'chat' | 'feedback'>
  bus: Pick<EventBus, 'publish'>
  log: Pick<FastifyBaseLogger, 'error'>
  now?: () => Date
  /** Open (PENDING or CONFIRMED, upcoming) bookings a vehicle may hold, and how far ahead it may book. */
  limits?: { maxOpenPerVehicle: number; horizonDays: number }
}

const [BAY_INDEX, IDEMPOTENCY_INDEX] = ['service_bookings_bay_slot_idx', 'service_bookings_idempotency_idx']
const VEHICLE_SLOT_INDEX = 'service_bookings_vehicle_slot_idx'
const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Whether a replay asks for what the first request booked: the same vehicle and start time, and
 * the same centre and notes where it names them (a retry that leaves them out is the same request). Anything else reusing the key is a client bug
 * that must not be answered with someone else's booking.
 */
function sameRequest(earlier: ServiceBooking, vehicleId: string, at: Date, options: BookOptions): boolean {
  return (
    earlier.vehicle_id === vehicleId &&
    new Date(earlier.appointment_time).getTime() === at.getTime() &&
    (options.serviceCenterId === undefined || options.serviceCenterId === earlier.service_center_id) &&
    (options.notes === undefined || (options.notes ?? null) === (earlier.customer_notes ?? null))
  )
}

/**
 * Everything that creates or changes a booking, whoever asks: the bookings API, the chat and the
 * agent graph. Double booking is prevented by the database's partial unique index on (centre,
 * time, bay), not by reading first: a lost race on a bay simply moves on to the next bay, so
 * concurrent requests for the last bay have exactly one winner.
 */
export class BookingService {
  private readonly repos: BookingServiceDeps['repos']
  private readonly bus: BookingServiceDeps['bus']
  /** The feedback agent: asks for and takes ratings, and reads a given one back. */
  readonly feedback: FeedbackService
  private readonly now: () => Date
  private readonly limits: NonNullable<BookingServiceDeps['limits']>
  private readonly resolvedListeners: Array<(alarm: AnomalyEvent) => void> = []

  constructor(deps: BookingServiceDeps) {
    this.repos = deps.repos
    this.bus = deps.bus
    this.feedback = new FeedbackService(deps)
    this.now = deps.now ?? (() => new Date())
    this.limits = deps.limits ?? { maxOpenPerVehicle: 3, horizonDays: 90 }
  }

  /** Books the lowest free bay at `slot`. Announcing it is the caller's choice (see `announce`). */
  async book(slot: Date | string, vehicleId: string, options: BookOptions = {}): Promise<BookResult> {
    const { createdBy, idempotencyKey } = options
    const at = toDate(slot, 'The slot')
    // A retried request returns what the first one booked, even if its slot has passed since.
    if (createdBy && idempotencyKey) {
      const earlier = await this.repos.bookings.findByIdempotencyKey(createdBy, idempotencyKey)
      if (earlier) return this.replay(earlier, vehicleId, at, options)
    }

    const now = this.now()
    assertBookableTime(at, now)
    const { horizonDays } = this.limits
    if (at.getTime() > now.getTime() + horizonDays * DAY_MS) {
      throw new AppError(
        'SLOT_UNAVAILABLE',
        `The slot ${at.toISOString()} is too far ahead: book at most ${horizonDays} days in advance`,
      )
    }
    const centers = centersWithSlotAt(
      await centersFor(this.repos.serviceCenters, options.serviceCenterId),
      at,
    )
    for (const center of centers) {
      const result = await this.bookAtCenter(center, at, vehicleId, options)
      if (result) return result
    }
    // Every bay went to someone else; if one of them was our own concurrent twin, that is the answer.
    if (createdBy && idempotencyKey) {
      const twin = await this.repos.bookings.findByIdempotencyKey(createdBy, idempotencyKey)
      if (twin) return this.replay(twin, vehicleId, at, options)
    }
    throw new AppError('SLOT_TAKEN', `Every bay is taken at ${at.toISOString()}; pick another slot`)
  }

  /** A customer books one of their vehicles; a new booking goes out to them and the service desk. */
  async create(user: Viewer, input: NewBooking): Promise<{ booking: BookingView; replayed: boolean }> {
    const { vehicles, bookings } = this.repos
    const vehicle = input.vehicleId
      ? await vehicles.findVisibleById(user, input.vehicleId)
      : await vehicles.findVisibleByVin(user, input.vin ?? '')
    if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
    const { booking, replayed } = await this.book(input.slotTime, vehicle.id, {
      serviceCenterId: input.serviceCenterId,
      notes: input.notes || undefined,
      source: 'customer',
      createdBy: user.id,
      idempotencyKey: input.idempotencyKey ?? null,
    })
    const row = await bookings.findVisible(user, booking.id)
    if (!row) throw new AppError('BOOKING_NOT_FOUND')
    if (!replayed) this.publishBooking(row)
    return { booking: row, replayed }
  }

  /**
   * Moves a booking `user` can see to `to`, if their role may (INVALID_TRANSITION with what is
   * allowed otherwise, also when it changed meanwhile). Completing it asks the owner for feedback.
   */
  async transition(user: Viewer, id: string, to: BookingStatus, notes?: string): Promise<BookingView> {
    if (notes !== undefined && to !== 'COMPLETED') {
      const message = 'notes are taken only when a booking is completed'
      throw new AppError('VALIDATION_FAILED', `Invalid body.notes: ${message}`, {
        fields: [{ field: 'body.notes', message }],
      })
    }
    const current = await this.repos.bookings.findVisible(user, id)
    if (!current) throw new AppError('BOOKING_NOT_FOUND')
    const from = current.status
    if (!canTransition(user.role, from, to)) {
      const allowed = allowedTransitions(user.role, from)
      throw new AppError('INVALID_TRANSITION', `A ${user.role} cannot move a ${from} booking to ${to}`, {
        from,
        to,
        allowed,
      })
    }
    const { changed, row, resolved } = await this.change(user, id, from, to, notes)
    if (!row) throw new AppError('BOOKING_NOT_FOUND')
    if (!changed) {
      throw new AppError('INVALID_TRANSITION', `The booking changed to ${row.status} meanwhile; reload it`, {
        from: row.status,
        to,
        allowed: allowedTransitions(user.role, row.status),
      })
    }
    this.publishBooking(row)
    if (resolved) this.announceResolved(row, resolved)
    if (to === 'COMPLETED') await this.feedback.requestFeedback(row)
    return row
  }

  /**
   * The chat's move: `booking` as the caller last read it goes to `to`, or nothing happens and
   * the answer is undefined (it changed meanwhile, or the role may not). Not announced here: the
   * chat announces a turn's bookings after its messages.
   */
  async transitionIfUnchanged(
    user: Viewer,
    booking: BookingView,
    to: BookingStatus,
  ): Promise<BookingView | undefined> {
    if (!canTransition(user.role, booking.status, to)) return undefined
    const { changed, row } = await this.change(user, booking.id, booking.status, to)
    return changed ? row : undefined
  }

  /** Pushes stored chat messages to the vehicle's owner, then bookings to the owner and the desk. */
  announce(vehicle: Audience, what: { messages?: ChatMessage[]; bookings?: BookingView[] }): void {
    for (const message of what.messages ?? []) this.bus.publish(messages.chat(message, vehicle))
    for (const booking of what.bookings ?? []) this.publishBooking(booking)
  }

  /** The owner rates a COMPLETED service, once (see FeedbackService). */
  rate(user: Viewer, bookingId: string, rating: Rating): Promise<BookingFeedback> {
    return this.feedback.rate(user, bookingId, rating)
  }

  /** `listener` hears of every alarm a completed booking resolved (the episode manager forgets it). */
  onAlarmResolved(listener: (alarm: AnomalyEvent) => void): void {
    this.resolvedListeners.push(listener)
  }

  /**
   * The one status change: only if the booking is still in `from`, then re-read as `user` sees
   * it. An alarm the completion resolved is announced to staff and the owner, like any other; an
   * owner cancelling a proposal declines it (the chat's "no" and the dashboard's button alike).
   */
  private async change(user: Viewer, id: string, from: BookingStatus, to: BookingStatus, notes?: string) {
    const declined = user.role === 'customer' && from === 'PENDING' && to === 'CANCELLED'
    const done = { notes, userId: user.id, declined }
    const moved = await this.repos.bookings.transitionBooking(id, from, to, done)
    const row = await this.repos.bookings.findVisible(user, id)
    const resolved = moved?.resolved
    if (resolved) for (const listener of this.resolvedListeners) listener(resolved)
    return { changed: moved !== undefined, row, resolved }
  }

  /** The alarm a completion closed, told to staff and the owner after the booking itself. */
  private announceResolved(row: BookingView, resolved: AnomalyEvent): void {
    const notice = {
      id: resolved.id,
      vin: row.vin,
      status: resolved.status,
      severity: resolved.severity,
      anomaly_type: resolved.anomaly_type,
    }
    this.bus.publish(messages.alarm(notice, row.owner_id))
  }

  /** Tries the free bays lowest first; undefined when every bay is taken. */
  private async bookAtCenter(
    center: ServiceCenter,
    at: Date,
    vehicleId: string,
    options: BookOptions,
  ): Promise<BookResult | undefined> {
    const { bookings } = this.repos
    const taken = new Set(await bookings.takenBays(center.id, at))
    for (let bay = 1; bay <= center.bays; bay++) {
      if (taken.has(bay)) continue
      try {
        const booking = await bookings.createBooking(vehicleId, at, options.status ?? 'PENDING', {
          maxOpen: { limit: this.limits.maxOpenPerVehicle, after: this.now() },
          serviceCenterId: center.id,
          bay,
          notes: options.notes ?? null,
          source: options.source ?? 'customer',
          anomalyEventId: options.anomalyEventId ?? null,
          createdBy: options.createdBy ?? null,
          idempotencyKey: options.idempotencyKey ?? null,
        })
        return { booking, replayed: false }
      } catch (err) {
        if (isUniqueViolation(err, BAY_INDEX)) continue
        // Our own concurrent twin may win either index first.
        const twinRace =
          isUniqueViolation(err, IDEMPOTENCY_INDEX) || isUniqueViolation(err, VEHICLE_SLOT_INDEX)
        if (twinRace && options.createdBy && options.idempotencyKey) {
          const twin = await bookings.findByIdempotencyKey(options.createdBy, options.idempotencyKey)
          if (twin) return this.replay(twin, vehicleId, at, options)
        }
        if (isUniqueViolation(err, VEHICLE_SLOT_INDEX)) {
          throw new AppError(
            'VEHICLE_ALREADY_BOOKED',
            `That vehicle already has a booking at ${at.toISOString()}`,
          )
        }
        throw err
      }
    }
    return undefined
  }

  private replay(earlier: ServiceBooking, vehicleId: string, at: Date, options: BookOptions): BookResult {
    if (!sameRequest(earlier, vehicleId, at, options)) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', undefined, { booking_id: earlier.id })
    }
    return { booking: earlier, replayed: true }
  }

  private publishBooking(row: BookingView): void {
    this.bus.publish(messages.booking(row))
  }
}
