import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  bearer,
  createTestApp,
  DEMO,
  healthDetails,
  login,
  onboardVehicle,
  type TestApp,
} from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'
import { makeReading, step } from '../helpers/readings.js'

const START = '2026-03-01T00:00:00.000Z'

/** A reading without `vin`: the device token names the vehicle. */
function deviceReading(timestamp: string | number, overrides: Record<string, unknown> = {}) {
  const { vin: _vin, ...reading } = makeReading('X', typeof timestamp === 'string' ? timestamp : START)
  return { ...reading, timestamp, ...overrides }
}

describe.each(DB_KINDS)('HTTP telemetry intake on %s', (kind) => {
  let t: TestApp
  let oem = ''
  let vinSeq = 0
  const prefix = kind === 'pglite' ? 'ZZDEVPG' : 'ZZDEVSV'

  /** A fresh vehicle of the demo owner, with its device token. */
  const onboard = () =>
    onboardVehicle(t.app, oem, `${prefix}${String(vinSeq++).padStart(10, '0')}`, 'Intake EV')
  const send = (token: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/telemetry',
      headers: { ...bearer(token), 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    })
  const stored = async (vehicleId: string): Promise<Array<{ ts: Date }>> => {
    await t.app.services.writer.flush()
    return t.db.db
      .selectFrom('telemetry_logs')
      .select('ts')
      .where('vehicle_id', '=', vehicleId)
      .orderBy('ts')
      .execute()
  }

  beforeAll(async () => {
    t = await createTestApp(kind)
    oem = await login(t.app, DEMO.manufacturer)
  })
  afterAll(() => t.close())

  it('takes a batch with the device token as Bearer, stores it once, and counts a resend as duplicates', async () => {
    const car = await onboard()
    const batch = Array.from({ length: 50 }, (_, i) => deviceReading(step(START, i)))
    const res = await send(car.token, batch)
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: 50, duplicates: 0, rejected: [] })
    // 202 comes after the commit: the rows are there without waiting.
    const rows = await t.db.db
      .selectFrom('telemetry_logs')
      .select('ts')
      .where('vehicle_id', '=', car.id)
      .execute()
    expect(rows).toHaveLength(50)
    expect(t.app.services.pipeline.vehicleState(car.vin)?.latest).toMatchObject({
      vin: car.vin,
      timestamp: step(START, 49),
    })

    const again = await send(car.token, batch.slice(40))
    expect(again.json()).toEqual({ accepted: 0, duplicates: 10, rejected: [] })
    expect(await stored(car.id)).toHaveLength(50)
  })

  it('takes a single reading, and the token in the path for units that cannot set headers', async () => {
    const car = await onboard()
    const one = await send(car.token, deviceReading(START))
    expect(one.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] })
    const path = await t.app.inject({
      method: 'POST',
      url: `/api/v1/${car.token}/telemetry`,
      payload: [deviceReading(step(START, 1))],
    })
    expect(path.statusCode).toBe(202)
    expect(path.json().accepted).toBe(1)
    expect(await stored(car.id)).toHaveLength(2)
  })

  it('refuses missing, wrong and user tokens with 401, and a device token on user routes', async () => {
    const car = await onboard()
    const none = await t.app.inject({
      method: 'POST',
      url: '/api/v1/telemetry',
      payload: deviceReading(START),
    })
    expect(none.statusCode).toBe(401)
    expect(none.json().error.code).toBe('DEVICE_TOKEN_REQUIRED')
    const forged = `dev_${'A'.repeat(43)}`
    for (const token of [forged, 'not-a-token', await login(t.app, DEMO.manufacturer)]) {
      const res = await send(token, deviceReading(START))
      expect(res.statusCode).toBe(401)
      expect(res.json().error.code).toBe('DEVICE_TOKEN_INVALID')
    }
    const inPath = await t.app.inject({ method: 'POST', url: `/api/v1/${forged}/telemetry`, payload: {} })
    expect(inPath.json().error.code).toBe('DEVICE_TOKEN_INVALID')
    for (const url of ['/api/vehicles', '/api/auth/me', `/api/vehicles/${car.vin}`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(car.token) })
      expect(res.statusCode, url).toBe(401)
      expect(res.json().error.code).toBe('AUTH_TOKEN_INVALID')
    }
    expect(await stored(car.id)).toHaveLength(0)
  })

  it('rejects bad readings by index with a code and takes the rest of the batch', async () => {
    const car = await onboard()
    const { soc: _soc, ...noSoc } = deviceReading(step(START, 1))
    const res = await send(car.token, [
      deviceReading(step(START, 0)),
      noSoc,
      deviceReading(step(START, 2), { motor_rpm: 'fast' }),
      42,
      deviceReading('yesterday'),
      deviceReading(step(START, 5), { vin: car.vin }),
    ])
    expect(res.statusCode).toBe(202)
    const body = res.json()
    expect(body.accepted).toBe(2)
    expect(
      body.rejected.map((r: { index: number; code: string; field?: string }) => [r.index, r.code, r.field]),
    ).toEqual([
      [1, 'MISSING_FIELD', 'soc'],
      [2, 'INVALID_VALUE', 'motor_rpm'],
      [3, 'NOT_AN_OBJECT', undefined],
      [4, 'INVALID_TIMESTAMP', 'timestamp'],
    ])
    for (const r of body.rejected) expect(r.message).toEqual(expect.any(String))
    expect((await stored(car.id)).map((r) => r.ts.toISOString())).toEqual([step(START, 0), step(START, 5)])
  })

  it("rejects a reading that names another vehicle's VIN, and takes the device's own", async () => {
    const car = await onboard()
    const other = await onboard()
    const res = await send(car.token, [
      deviceReading(step(START, 0), { vin: other.vin }),
      deviceReading(step(START, 1), { vin: car.vin }),
    ])
    expect(res.json()).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, code: 'VIN_MISMATCH', field: 'vin' }],
    })
    expect(await stored(other.id)).toHaveLength(0)
    expect(await stored(car.id)).toHaveLength(1)
  })

  it('rejects a timestamp more than 5 minutes ahead, takes one slightly ahead', async () => {
    const car = await onboard()
    const now = Date.now()
    const res = await send(car.token, [
      deviceReading(new Date(now + 10 * 60_000).toISOString()),
      deviceReading(now + 2 * 60_000),
    ])
    expect(res.json()).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, code: 'TIMESTAMP_IN_FUTURE', field: 'timestamp' }],
    })
  })

  it('takes epoch milliseconds and ISO with an offset, normalised to ISO UTC with milliseconds', async () => {
    const car = await onboard()
    const epoch = Date.parse('2026-03-02T10:00:00.123Z')
    const res = await send(car.token, [deviceReading(epoch), deviceReading('2026-03-02T12:30:00+02:00')])
    expect(res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] })
    expect((await stored(car.id)).map((r) => r.ts.toISOString())).toEqual([
      '2026-03-02T10:00:00.123Z',
      '2026-03-02T10:30:00.000Z',
    ])
    expect(t.app.services.pipeline.vehicleState(car.vin)?.latest?.timestamp).toBe('2026-03-02T10:30:00.000Z')
  })

  it('answers a bad body with a 4xx and a code, never a 500', async () => {
    const car = await onboard()
    const cases: Array<[string, unknown, number, string]> = [
      ['not JSON', '{"soc": 0.5,', 400, 'BAD_REQUEST'],
      ['a raw NUL byte in the JSON', `{"soc": 0.5, "x": "a\u0000b"}`, 400, 'BAD_REQUEST'],
      ['a number', 42, 400, 'VALIDATION_FAILED'],
      ['a string', '"hello"', 400, 'VALIDATION_FAILED'],
      ['null', 'null', 400, 'VALIDATION_FAILED'],
      [
        '1,001 readings',
        Array.from({ length: 1001 }, (_, i) => deviceReading(step(START, i))),
        413,
        'TOO_MANY_READINGS',
      ],
    ]
    for (const [what, payload, status, code] of cases) {
      const res = await send(car.token, payload)
      expect(res.statusCode, what).toBe(status)
      expect(res.json().error.code, what).toBe(code)
    }
    const huge = await send(car.token, JSON.stringify([{ pad: 'x'.repeat(10 * 1024 * 1024) }]))
    expect(huge.statusCode).toBe(413)
    expect(huge.json().error.code).toBe('PAYLOAD_TOO_LARGE')
    const text = await send(car.token, 'soc=1', { 'content-type': 'text/plain' })
    expect(text.statusCode).toBe(400)
    expect(text.json().error.code).toBe('VALIDATION_FAILED')
    const xml = await send(car.token, '<soc>1</soc>', { 'content-type': 'application/xml' })
    expect(xml.statusCode).toBe(415)
    expect(xml.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    expect(await stored(car.id)).toHaveLength(0)
  })

  it('keeps NUL characters in strings out of storage: a bad vin is rejected, unknown keys are dropped', async () => {
    const car = await onboard()
    const res = await send(car.token, [
      deviceReading(step(START, 0), { vin: `${car.vin}\u0000` }),
      deviceReading(step(START, 1), { note: 'a\u0000b', 'k\u0000': 1 }),
      deviceReading(`${step(START, 2)}\u0000`),
    ])
    expect(res.statusCode).toBe(202)
    expect(res.json()).toMatchObject({
      accepted: 1,
      rejected: [
        { index: 0, code: 'VIN_MISMATCH' },
        { index: 2, code: 'INVALID_TIMESTAMP' },
      ],
    })
    expect(await stored(car.id)).toHaveLength(1)
    expect(t.app.services.writer.stats.lastError).toBeNull()
  })

  it('counts rejections per device in /api/health', async () => {
    const car = await onboard()
    const quiet = await onboard()
    await send(car.token, [
      deviceReading(step(START, 0), { vin: quiet.vin }),
      deviceReading(step(START, 1), { vin: quiet.vin }),
      deviceReading(Date.now() + 3_600_000),
      deviceReading(step(START, 3)),
    ])
    await send(quiet.token, [deviceReading(step(START, 0))])
    const health = (await healthDetails(t.app)).json()
    const devices = health.components.device_intake.devices
    expect(devices[car.vin]).toMatchObject({
      accepted: 1,
      rejected: 3,
      rejected_by_code: { VIN_MISMATCH: 2, TIMESTAMP_IN_FUTURE: 1 },
    })
    expect(devices[quiet.vin]).toMatchObject({ accepted: 1, rejected: 0, rejected_by_code: {} })
  })

  it('stops a rotated-out token at once and takes the new one', async () => {
    const car = await onboard()
    expect((await send(car.token, deviceReading(step(START, 0)))).statusCode).toBe(202)
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/vehicles/${car.vin}/credentials`,
      headers: bearer(oem),
    })
    const fresh = rotated.json().device_token
    const old = await send(car.token, deviceReading(step(START, 1)))
    expect(old.statusCode).toBe(401)
    expect(old.json().error.code).toBe('DEVICE_TOKEN_INVALID')
    expect((await send(fresh, deviceReading(step(START, 1)))).json().accepted).toBe(1)
  })

  it('closes intake for a decommissioned vehicle and keeps its history', async () => {
    const car = await onboard()
    expect((await send(car.token, deviceReading(step(START, 0)))).json().accepted).toBe(1)
    const gone = await t.app.inject({
      method: 'DELETE',
      url: `/api/vehicles/${car.vin}`,
      headers: bearer(oem),
    })
    expect(gone.statusCode).toBe(200)
    const res = await send(car.token, deviceReading(step(START, 1)))
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('DEVICE_TOKEN_INVALID')
    // Past the token, the pipeline itself refuses the vehicle's readings now.
    expect(await t.app.services.pipeline.submit(deviceReading(step(START, 2)), car.vin)).toMatchObject({
      status: 'rejected',
      code: 'UNKNOWN_VEHICLE',
    })
    expect(await stored(car.id)).toHaveLength(1)
  })

  it('answers 503 with Retry-After while the pipeline is full, and takes nothing', async () => {
    const car = await onboard()
    const spy = vi.spyOn(t.app.services.pipeline, 'accepting', 'get').mockReturnValue(false)
    try {
      const res = await send(car.token, [deviceReading(step(START, 0))])
      expect(res.statusCode).toBe(503)
      expect(res.json().error.code).toBe('INTAKE_BUSY')
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    } finally {
      spy.mockRestore()
    }
    expect(await stored(car.id)).toHaveLength(0)
    expect((await send(car.token, [deviceReading(step(START, 0))])).statusCode).toBe(202)
  })
})

describe('HTTP telemetry intake rate per device', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp('pglite', { DEVICE_RATE_PER_SECOND: '0.5', DEVICE_RATE_BURST: '5' })
  })
  afterAll(() => t.close())

  it('answers 429 with Retry-After to a device over its rate, not to the others', async () => {
    const oem = await login(t.app, DEMO.manufacturer)
    const tokens: string[] = []
    for (const vin of ['ZZRATE00000000001', 'ZZRATE00000000002']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/vehicles',
        headers: bearer(oem),
        payload: { vin, owner: DEMO.customer.email, model: 'Rate EV' },
      })
      tokens.push(res.json().device_token)
    }
    const send = (token: string, from: number, n: number) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/telemetry',
        headers: bearer(token),
        payload: Array.from({ length: n }, (_, i) => deviceReading(step(START, from + i))),
      })
    expect((await send(tokens[0]!, 0, 5)).json().accepted).toBe(5)
    const over = await send(tokens[0]!, 5, 2)
    expect(over.statusCode).toBe(429)
    expect(over.json().error.code).toBe('RATE_LIMITED')
    // Two readings at 0.5 per second: about 4 s.
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(3)
    expect((await send(tokens[1]!, 0, 5)).statusCode).toBe(202)
    const health = (await healthDetails(t.app)).json()
    expect(health.components.device_intake.devices.ZZRATE00000000001.rate_limited).toBe(1)
    expect(health.components.device_intake.rate_limited).toBe(1)
  })
})
