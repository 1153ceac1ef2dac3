import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DbHandle } from '../../src/db/client.js'
import { createRepositories, type Repositories, type Viewer } from '../../src/db/repositories/index.js'
import type { Vehicle } from '../../src/db/schema.js'
import { seedDemoData } from '../../src/demo.js'
import { AppError } from '../../src/errors.js'
import type { FleetMessage } from '../../src/ingest/messages.js'
import { BookingService } from '../../src/services/booking.service.js'
import { DEMO } from '../helpers/app.js'
import { createTestDatabase, DB_KINDS } from '../helpers/db.js'

// A Monday in winter: 10:00 in Berlin on the Tuesday is on the North centre's hourly grid.
const NOW = new Date('2030-01-07T00:00:00Z')

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe.each(DB_KINDS)('BookingService on %s', (kind) => {
  let handle: DbHandle
  let repos: Repositories
  let service: BookingService
  const published: FleetMessage[] = []
  let owner: Viewer
  let desk: Viewer
  let vehicle: Vehicle
  let northId: string
  let hour = 9

  const serviceOver = (r: Repositories) =>
    new BookingService({
      repos: r,
      bus: { publish: (m) => published.push(m) },
      log: { error() {} },
      now: () => NOW,
    })
  /** A fresh PENDING booking at the next free hour. */
  const propose = async () => {
    const slot = `2030-01-08T${String(hour++).padStart(2, '0')}:00:00.000Z`
    const { booking } = await service.book(slot, vehicle.id, { serviceCenterId: northId, source: 'agent' })
    return booking
  }

  beforeAll(async () => {
    handle = await createTestDatabase(kind)
    await seedDemoData(handle.db)
    repos = createRepositories(handle.db)
    service = serviceOver(repos)
    const viewer = async (email: string) => {
      const u = (await repos.users.getUserByEmail(email))!
      return { id: u.id, role: u.role }
    }
    owner = await viewer(DEMO.customer.email)
    desk = await viewer(DEMO.service.email)
    vehicle = (await repos.vehicles.listVisible(owner))[0]!
    northId = (await repos.serviceCenters.listCenters()).find((c) => c.name.endsWith('North'))!.id
  })
  afterAll(() => handle?.close())

  it('refuses a move the role may not make, with what is allowed, and announces nothing', async () => {
    const booking = await propose()
    published.length = 0
    const err = await rejection(service.transition(owner, booking.id, 'COMPLETED'))
    expect(err.code).toBe('INVALID_TRANSITION')
    expect(err.message).toBe('A customer cannot move a PENDING booking to COMPLETED')
    expect(err.details).toEqual({ from: 'PENDING', to: 'COMPLETED', allowed: ['CONFIRMED', 'CANCELLED'] })
    expect(published).toEqual([])
    const manufacturer = { id: desk.id, role: 'manufacturer' as const }
    expect((await rejection(service.transition(manufacturer, booking.id, 'CONFIRMED'))).details).toEqual({
      from: 'PENDING',
      to: 'CONFIRMED',
      allowed: [],
    })
  })

  it('confirms and completes for the desk, announcing each change and asking the owner for feedback', async () => {
    const booking = await propose()
    published.length = 0
    expect((await service.transition(desk, booking.id, 'CONFIRMED')).status).toBe('CONFIRMED')
    expect((await service.transition(desk, booking.id, 'COMPLETED')).status).toBe('COMPLETED')
    expect(published.map((m) => m.type)).toEqual(['booking', 'booking', 'chat'])
    expect(published[0]).toMatchObject({ vin: vehicle.vin, ownerId: owner.id, roles: ['service'] })
    expect(published[2]).toMatchObject({
      ownerId: owner.id,
      roles: [],
      data: { intent: 'feedback_request', booking_id: booking.id },
    })
    const rated = await service.rate(owner, booking.id, { rating: 5, comment: '' })
    expect(rated).toMatchObject({ booking_id: booking.id, rating: 5, comment: null })
    expect((await rejection(service.rate(owner, booking.id, { rating: 4 }))).code).toBe('ALREADY_EXISTS')
  })

  it('says when the booking changed meanwhile, and the chat move answers undefined instead', async () => {
    const booking = await propose()
    const view = (await repos.bookings.findVisible(owner, booking.id))!
    // Someone else wins the conditional update between the read and the write.
    const raced = serviceOver({
      ...repos,
      bookings: { ...repos.bookings, transitionBooking: async () => undefined },
    })
    const err = await rejection(raced.transition(owner, booking.id, 'CONFIRMED'))
    expect(err.code).toBe('INVALID_TRANSITION')
    expect(err.message).toBe('The booking changed to PENDING meanwhile; reload it')
    expect(err.details).toEqual({ from: 'PENDING', to: 'CONFIRMED', allowed: ['CONFIRMED', 'CANCELLED'] })

    expect((await service.transitionIfUnchanged(owner, view, 'CANCELLED'))?.status).toBe('CANCELLED')
    // The view still says PENDING: a second move from it is refused quietly.
    expect(await service.transitionIfUnchanged(owner, view, 'CONFIRMED')).toBeUndefined()
    expect((await rejection(service.transition(owner, booking.id, 'CONFIRMED'))).code).toBe(
      'INVALID_TRANSITION',
    )
  })

  it('hides another owner’s booking, and rates only completed ones', async () => {
    const booking = await propose()
    const stranger = { id: desk.id, role: 'customer' as const }
    expect((await rejection(service.transition(stranger, booking.id, 'CANCELLED'))).code).toBe(
      'BOOKING_NOT_FOUND',
    )
    const err = await rejection(service.rate(owner, booking.id, { rating: 3 }))
    expect(err.code).toBe('FEEDBACK_NOT_ALLOWED')
    expect(err.details).toEqual({ status: 'PENDING' })
  })
})
