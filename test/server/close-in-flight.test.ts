import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import type { DbHandle } from '../../src/db/client.js'
import { testConfig } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/db.js'

/**
 * A stop must not wait on kept-alive connections: Node leaves one open after a response that was
 * under way when the server began closing, and `close()` would then wait for the idle timeout
 * (60 s) while SHUTDOWN_TIMEOUT_MS is 10 s.
 */
describe('closing with a request in flight on a kept-alive connection', () => {
  let db: DbHandle | undefined
  afterAll(async () => db?.close())

  it('answers it, ends its connection and finishes closing', async () => {
    db = await createTestDatabase('pglite')
    const app = await buildApp({ config: testConfig(), db, logger: false })
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let arrived!: () => void
    const inFlight = new Promise<void>((resolve) => (arrived = resolve))
    app.get('/slow-for-test', { config: { access: 'public' } }, async () => {
      arrived()
      await gate
      return { ok: true }
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    const agent = new http.Agent({ keepAlive: true })
    const response = new Promise<http.IncomingMessage>((resolve) =>
      http.get({ port, host: '127.0.0.1', path: '/slow-for-test', agent }, resolve),
    )
    await inFlight
    let closed = false
    const closing = app.close().then(() => {
      closed = true
    })
    // The server's stop begins with intake (server.ts calls it before close); then the answer.
    while (app.services.accepting) await new Promise((r) => setTimeout(r, 5))
    release()
    const res = await response
    res.resume()
    await once(res, 'end')
    expect(res.statusCode).toBe(200)
    expect(res.headers.connection).toBe('close')
    await closing
    expect(closed).toBe(true)
    agent.destroy()
  })
})
