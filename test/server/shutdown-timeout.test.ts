import { createServer, type Socket, connect as tcpConnect } from 'node:net'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DbHandle } from '../../src/db/client.js'
import { createTestDatabase } from '../helpers/db.js'
import { startServerProcess, until } from '../helpers/server-process.js'

const SERVER_URL = process.env.TEST_DATABASE_URL

/**
 * A TCP relay to the PostgreSQL server that can go silent: `freeze()` stops relaying in both
 * directions and leaves every connection open, as a network cut does (nothing is refused, nothing
 * answers). Only the test's own connections pass through it.
 */
async function freezableRelay(target: { host: string; port: number }) {
  let frozen = false
  const sockets = new Set<Socket>()
  const pairs: Array<[Socket, Socket]> = []
  const keep = (s: Socket) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  }
  const server = createServer((client) => {
    keep(client)
    if (frozen) {
      client.pause()
      return
    }
    const upstream = tcpConnect(target)
    keep(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    pairs.push([client, upstream])
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no relay address')
  return {
    port: address.port,
    freeze() {
      frozen = true
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.pause()
        upstream.pause()
      }
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe.runIf(SERVER_URL)('server process: a stop that cannot finish', () => {
  let db: DbHandle
  let relay: Awaited<ReturnType<typeof freezableRelay>>
  let url: string

  beforeAll(async () => {
    db = await createTestDatabase('postgres')
    const name = (await sql<{ name: string }>`select current_database() as name`.execute(db.db)).rows[0]!.name
    const server = new URL(SERVER_URL!)
    relay = await freezableRelay({ host: server.hostname, port: Number(server.port || 5432) })
    const through = new URL(SERVER_URL!)
    through.hostname = '127.0.0.1'
    through.port = String(relay.port)
    through.pathname = `/${name}`
    url = through.toString()
  })
  afterAll(async () => {
    await relay?.close()
    await db?.close()
  })

  it('exits 1 when SHUTDOWN_TIMEOUT_MS passes with the database silent mid-write', async () => {
    const server = await startServerProcess({
      DATABASE_URL: url,
      STREAM_DELAY_SECONDS: '0',
      SHUTDOWN_TIMEOUT_MS: '2000',
    })
    try {
      await until(
        'stored readings',
        async () =>
          (await server.healthDetails<{ components: { telemetry_writer: { written: number } } }>()).body
            .components.telemetry_writer.written >= 1000,
        60_000,
      )
      // The database goes silent while the replay writes: the last batches can never finish.
      relay.freeze()
      server.child.kill('SIGTERM')
      const exit = await server.exited(15_000)
      expect(exit).toEqual({ code: 1, signal: null })
      expect(server.logs.find((l) => l.msg === 'shutdown timed out')).toMatchObject({ timeout_ms: 2000 })
      expect(server.logs.find((l) => l.msg === 'stopped')).toBeUndefined()
    } finally {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
    }
  }, 120_000)
})
