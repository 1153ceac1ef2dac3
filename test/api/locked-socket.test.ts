import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'

/**
 * A lock by behaviour analytics changes no account row, so revocation alone would leave the
 * user's open dashboard streaming: the lock itself must close it, and no new socket may open.
 */
describe("a locked user's open WebSocket", () => {
  let t: TestApp
  let base = ''
  beforeAll(async () => {
    t = await createTestApp('pglite', { UEBA_STEP_UP_DELAY_MS: '1' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    base = `ws://127.0.0.1:${address.port}/ws/telemetry`
  })
  afterAll(() => t.close())

  const connect = (token: string) =>
    new Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }>(
      (resolve, reject) => {
        const socket = new WebSocket(`${base}?token=${token}`)
        const closed = new Promise<{ code: number; reason: string }>((done) =>
          socket.once('close', (code, reason) => done({ code, reason: reason.toString() })),
        )
        socket.once('open', () => resolve({ socket, closed }))
        socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
        socket.once('error', reject)
      },
    )

  it('closes with 4401 "account locked" as soon as the lock falls, and refuses a new one', async () => {
    const token = await login(t.app, DEMO.customer)
    const { closed } = await connect(token)
    const others = FLEET_VEHICLES.filter((v) => v.ownerEmail !== DEMO.customer.email).slice(0, 8)
    let state: string | undefined
    const userId = (await t.app.services.repos.users.getUserByEmail(DEMO.customer.email))?.id
    // Probing other owners' vehicles is misuse: enough of it locks the account.
    for (const v of others) {
      await t.app.inject({ url: `/api/vehicles/${v.vin}`, headers: bearer(token) })
      await t.app.services.agents.ueba.flush()
      state = t.app.services.analytics.get(`user:${userId}`)?.state
      if (state === 'locked') break
    }
    expect(state).toBe('locked')
    expect(await closed).toEqual({ code: 4401, reason: 'account locked' })
    await expect(connect(token)).rejects.toThrow('HTTP 403')
  })
})
