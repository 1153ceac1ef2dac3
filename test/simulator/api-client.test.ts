import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiClient, ApiError } from '../../scripts/simulator/api-client.js'

/** A stand-in for the service's range read: 503 while "draining", then one stored reading. */
function service(unavailableFor: number) {
  let calls = 0
  const server = createServer((req, res) => {
    calls++
    if (req.method !== 'GET' || calls <= unavailableFor) {
      res.writeHead(503, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ code: 'SHUTTING_DOWN', message: 'stopping' }))
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify([{ timestamp: '2030-01-01T00:00:00.000Z' }]))
  })
  return { server, calls: () => calls }
}

const listen = async (server: Server, port = 0) => {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

describe('the simulator API client', () => {
  const servers: Server[] = []
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
  })

  it('asks a read again while the service is restarting, then gets its answer', async () => {
    // Take a free port, then leave nothing listening on it: the service is down.
    const probe = createServer()
    const port = await listen(probe)
    await new Promise((r) => probe.close(r))
    const client = new ApiClient(`http://127.0.0.1:${port}`, 20_000)
    const read = client.storedTimestamps('VIN', 0, 1)
    await new Promise((r) => setTimeout(r, 300))
    // Back, but draining for its first two answers.
    const up = service(2)
    servers.push(up.server)
    await listen(up.server, port)
    expect(await read).toEqual([Date.parse('2030-01-01T00:00:00.000Z')])
    expect(up.calls()).toBe(3)
  })

  it('gives up on a read after its retry time, and never repeats a write', async () => {
    const down = service(Number.POSITIVE_INFINITY)
    servers.push(down.server)
    const port = await listen(down.server)
    const client = new ApiClient(`http://127.0.0.1:${port}`, 1_000)
    await expect(client.storedTimestamps('VIN', 0, 1)).rejects.toMatchObject({ status: 503 })
    const reads = down.calls()
    expect(reads).toBeGreaterThan(1)
    const login = client.login('a@b.c', 'x')
    await expect(login).rejects.toBeInstanceOf(ApiError)
    expect(down.calls()).toBe(reads + 1)
  })
})
