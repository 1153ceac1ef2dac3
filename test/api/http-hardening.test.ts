import { connect } from 'node:net'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import type { DbHandle } from '../../src/db/client.js'
import { createTestApp, type TestApp, testConfig } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/db.js'

describe('security headers, compression and CORS', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(() => t.close())

  it.each(['/api/health', '/docs', '/docs/json', '/api/nothing-here'])(
    'sends the security headers on %s',
    async (url) => {
      const res = await t.app.inject({ method: 'GET', url })
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      const csp = String(res.headers['content-security-policy'])
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/)
    },
  )

  it('keeps inline styles out of the dashboard policy', async () => {
    const csp = String(
      (await t.app.inject({ method: 'GET', url: '/api/health' })).headers['content-security-policy'],
    )
    expect(csp).toMatch(/style-src 'self'(;|$)/)
    expect(csp).not.toContain('upgrade-insecure-requests')
  })

  it('compresses JSON for clients that accept it', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/docs/json',
      headers: { 'accept-encoding': 'gzip' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-encoding']).toBe('gzip')
  })

  it('allows PATCH in a CORS preflight from a listed origin', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/bookings/00000000-0000-4000-8000-000000000000',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization,content-type',
      },
    })
    expect(res.statusCode).toBe(204)
    expect(String(res.headers['access-control-allow-methods'])).toContain('PATCH')
  })
})

describe('request timeouts', () => {
  let t: TestApp
  let port = 0
  beforeAll(async () => {
    t = await createTestApp('pglite', { HTTP_REQUEST_TIMEOUT_MS: '500' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    port = address.port
  })
  afterAll(() => t.close())

  it('answers 408 and closes a connection whose body trickles in slower than the request timeout', async () => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk) => {
      answer += chunk.toString()
    })
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    )
    // One byte every 100 ms: never idle, never done.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 100)
    await closed
    clearInterval(trickle)
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
  })
})

describe('client aborts', () => {
  let app: FastifyInstance
  let db: DbHandle
  const lines: Array<{ level: number; code?: string; msg: string }> = []
  beforeAll(async () => {
    db = await createTestDatabase('pglite')
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    app = await buildApp({ config: testConfig(), db, logger: { level: 'info', stream } })
    await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await app.close()
    await db.close()
  })

  it('logs a body cut off by the client as CLIENT_ABORTED, not as the database being down', async () => {
    const address = app.server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    const socket = connect(address.port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"email":',
    )
    await new Promise((r) => setTimeout(r, 100))
    socket.destroy()
    for (let i = 0; i < 100 && !lines.some((l) => l.code === 'CLIENT_ABORTED'); i++) {
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(lines.filter((l) => l.code === 'CLIENT_ABORTED')).toHaveLength(1)
    expect(lines.some((l) => l.code === 'DATABASE_UNAVAILABLE')).toBe(false)
  })
})
