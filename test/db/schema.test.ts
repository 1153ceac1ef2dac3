import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DbHandle } from '../../src/db/client.js'
import { mapDatabaseError } from '../../src/db/errors.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { createRepositories, type Repositories } from '../../src/db/repositories/index.js'
import { DEMO_SERVICE_CENTERS } from '../../src/demo.js'
import { createTestDatabase, DB_KINDS } from '../helpers/db.js'

const MISSING = '00000000-0000-4000-8000-000000000000'

describe.each(DB_KINDS)('database on %s', (kind) => {
  let h: DbHandle
  let repos: Repositories
  let ownerId: string
  let vehicleId: string

  beforeAll(async () => {
    h = await createTestDatabase(kind)
    repos = createRepositories(h.db)
    const owner = await repos.users.createUser({
      email: 'Owner@Example.com',
      password_hash: 'x',
      role: 'customer',
    })
    ownerId = owner.id
    const vehicle = await repos.vehicles.createVehicle({
      owner_id: ownerId,
      vin: '1HGCM82633A004352',
      model: 'Test EV',
      year: 2024,
      batch: 'B-2024-07',
    })
    vehicleId = vehicle.id
    await h.db
      .insertInto('service_centers')
      .values({ ...DEMO_SERVICE_CENTERS[0] })
      .execute()
  })
  afterAll(() => h.close())

  it('creates every table of the schema', async () => {
    const rows = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(
      h.db,
    )
    const names = rows.rows.map((r) => r.table_name)
    for (const table of [
      'users',
      'vehicles',
      'service_centers',
      'telemetry_logs',
      'anomaly_events',
      'diagnoses',
      'service_bookings',
      'manufacturing_insights',
      'ueba_logs',
    ]) {
      expect(names).toContain(table)
    }
  })

  it('runs migrations twice without error', async () => {
    expect((await migrateToLatest(h.db)).applied).toEqual([])
  })

  it('stores emails lower-case and finds users by email', async () => {
    const found = await repos.users.getUserByEmail('OWNER@example.com')
    expect(found?.id).toBe(ownerId)
    expect(found?.created_at).toBeInstanceOf(Date)
  })

  it('createAnomalyEvent: reads back what it wrote, with timestamps filled by the database', async () => {
    const before = Date.now() - 60_000
    const snapshot = { battery_temperature: 51.2, vin: '1HGCM82633A004352' }
    const created = await repos.anomalies.createAnomalyEvent(vehicleId, 'battery_thermal', 'High', snapshot)
    const read = await repos.anomalies.getAnomalyEvent(created.id)
    expect(read).toMatchObject({
      vehicle_id: vehicleId,
      anomaly_type: 'battery_thermal',
      severity: 'High',
      sensor_snapshot: snapshot,
      status: 'OPEN',
      occurrences: 1,
    })
    expect(read?.detected_at).toBeInstanceOf(Date)
    expect(read!.detected_at.getTime()).toBeGreaterThan(before)
    expect(read?.created_at).toBeInstanceOf(Date)
    expect(read?.resolved_at).toBeNull()
  })

  it('allows one open episode per vehicle and anomaly type', async () => {
    await repos.anomalies.createAnomalyEvent(vehicleId, 'motor_bearing', 'Low', {})
    const err = await repos.anomalies
      .createAnomalyEvent(vehicleId, 'motor_bearing', 'High', {})
      .catch((e) => e)
    expect(mapDatabaseError(err)?.code).toBe('ALREADY_EXISTS')
  })

  it('enforces foreign keys and checks, mapped to clear client errors', async () => {
    const centers = await repos.serviceCenters.listCenters()
    const failures = {
      bookingForMissingVehicle: await repos.bookings
        .createBooking(MISSING, new Date(), 'PENDING', { serviceCenterId: centers[0]?.id ?? MISSING })
        .catch((e) => e),
      vehicleForMissingOwner: await repos.vehicles
        .createVehicle({ owner_id: MISSING, vin: '2HGCM82633A004352', model: 'X', year: 2024 })
        .catch((e) => e),
      bogusStatus: await repos.bookings
        // @ts-expect-error: the point is a value the type forbids
        .createBooking(vehicleId, new Date(), 'BOGUS', { serviceCenterId: centers[0]?.id })
        .catch((e) => e),
      confidenceAboveOne: await (async () => {
        const ev = await repos.anomalies.createAnomalyEvent(vehicleId, 'tire_pressure', 'Low', {})
        return repos.diagnoses.createDiagnosis(ev.id, 'Slow leak', 1.5).catch((e) => e)
      })(),
      badSeverity: await repos.anomalies
        // @ts-expect-error: the point is a value the type forbids
        .createAnomalyEvent(vehicleId, 'x', 'Apocalyptic', {})
        .catch((e) => e),
      badVin: await repos.vehicles
        .createVehicle({ owner_id: ownerId, vin: 'not-a-vin', model: 'X', year: 2024 })
        .catch((e) => e),
    }
    expect(mapDatabaseError(failures.bookingForMissingVehicle)?.code).toBe('INVALID_REFERENCE')
    expect(mapDatabaseError(failures.vehicleForMissingOwner)?.code).toBe('INVALID_REFERENCE')
    expect(mapDatabaseError(failures.bogusStatus)?.code).toBe('CONSTRAINT_VIOLATION')
    expect(mapDatabaseError(failures.confidenceAboveOne)?.code).toBe('CONSTRAINT_VIOLATION')
    expect(mapDatabaseError(failures.badSeverity)?.code).toBe('CONSTRAINT_VIOLATION')
    expect(mapDatabaseError(failures.badVin)?.code).toBe('CONSTRAINT_VIOLATION')
    expect(mapDatabaseError(failures.confidenceAboveOne)?.statusCode).toBe(400)
    expect(mapDatabaseError(failures.bookingForMissingVehicle)?.statusCode).toBe(422)
  })

  it('never lets two live bookings take the same bay and slot', async () => {
    const centers = await repos.serviceCenters.listCenters()
    const slot = new Date('2030-01-07T09:00:00Z')
    const details = { serviceCenterId: centers[0]!.id, bay: 1 }
    await repos.bookings.createBooking(vehicleId, slot, 'PENDING', details)
    const second = await repos.bookings.createBooking(vehicleId, slot, 'PENDING', details).catch((e) => e)
    expect(mapDatabaseError(second)?.code).toBe('ALREADY_EXISTS')
    expect((await repos.bookings.getBookings('PENDING')).length).toBeGreaterThanOrEqual(1)
    expect(await repos.bookings.getBookings(['COMPLETED'])).toEqual([])
  })

  it('deletes a user’s vehicles with the user (ON DELETE CASCADE)', async () => {
    const u = await repos.users.createUser({
      email: 'gone@example.com',
      password_hash: 'x',
      role: 'customer',
    })
    await repos.vehicles.createVehicle({ owner_id: u.id, vin: '3HGCM82633A004352', model: 'X', year: 2023 })
    await h.db.deleteFrom('users').where('id', '=', u.id).execute()
    expect(await repos.vehicles.getByVin('3HGCM82633A004352')).toBeUndefined()
  })

  it('logs UEBA actions and records manufacturing insights', async () => {
    const log = await repos.ueba.logUebaAction('master', 'transition', 'BLOCKED', {
      sourceNode: 'customer_engagement',
      targetNode: 'rca',
    })
    expect(log.timestamp).toBeInstanceOf(Date)
    expect((await repos.ueba.listRecent(1))[0]?.status).toBe('BLOCKED')
    const insight = await repos.insights.createManufacturingInsight(
      'battery',
      'thermal runaway',
      'B-2025-01',
      'Review paste',
    )
    expect((await repos.insights.listInsights())[0]?.id).toBe(insight.id)
  })
})
