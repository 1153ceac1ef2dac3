import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clusterPrerequisites,
  freePort,
  freshDatabase,
  natsNames,
  natsReachable,
  provision,
  reading,
  sendAll,
} from '../helpers/cluster.js'
import { type ServerProcess, startServerProcess, until } from '../helpers/server-process.js'

/**
 * A NATS server of the test's own (never the machine's) is killed and started again on the same
 * store while an API process and a worker run and a fleet keeps sending: both reconnect, and
 * every reading the API acknowledged to a unit ends up stored, once.
 */
const skip = await clusterPrerequisites()
/** Several server processes start at once: slow on a loaded 2-core machine. */
const UP = { upWithinMs: 180_000 }
const VEHICLES = 8
const PER_VEHICLE = 150

interface ClusterHealth {
  components: {
    cluster: { connection: { status: string; reconnects: number }; leases: { owned: number[] } | null }
  }
}

describe.skipIf(skip)('a NATS server restart', () => {
  const names = natsNames()
  const store = mkdtempSync(join(tmpdir(), 'autonoma-nats-'))
  let db: Awaited<ReturnType<typeof freshDatabase>>
  let port: number
  let nats: ChildProcess | undefined
  const procs: ServerProcess[] = []

  const startNats = async () => {
    nats = spawn('/usr/sbin/nats-server', ['-js', '-sd', store, '-p', String(port), '-a', '127.0.0.1'], {
      stdio: 'ignore',
    })
    await until('the test NATS server', () => natsReachable(`nats://127.0.0.1:${port}`), 15_000)
  }

  beforeAll(async () => {
    db = await freshDatabase()
    port = await freePort()
    await startNats()
  }, 30_000)
  afterAll(async () => {
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    nats?.kill('SIGKILL')
    await db?.drop()
    rmSync(store, { recursive: true, force: true })
  }, 30_000)

  it('reconnects every process and loses nothing acknowledged', async () => {
    const env = {
      DATABASE_URL: db.url,
      NATS_URL: `nats://127.0.0.1:${port}`,
      ...names,
      NATS_PARTITIONS: '4',
      NATS_LEASE_TTL_MS: '3000',
      MQTT_ENABLED: 'false',
      DEVICE_RATE_PER_SECOND: '100000',
      DEVICE_RATE_BURST: '100000',
    }
    const api = await startServerProcess({ ...env, AUTONOMA_ROLE: 'api' }, UP)
    procs.push(api)
    const worker = await startServerProcess({ ...env, AUTONOMA_ROLE: 'worker' }, UP)
    procs.push(worker)
    const health = async (p: ServerProcess) =>
      (await p.healthDetails<ClusterHealth>()).body.components.cluster
    await until(
      'the worker holds every partition',
      async () => (await health(worker)).leases?.owned.length === 4,
      90_000,
    )

    const units = await provision(api, VEHICLES)
    const base = Date.now() - 3_600_000
    const url = () => api.url
    let acked = 0
    let midStream!: () => void
    const reached = new Promise<void>((resolve) => (midStream = resolve))
    const sending = Promise.all(
      units.map((u) =>
        sendAll(
          url,
          u,
          Array.from({ length: PER_VEHICLE }, (_, i) => reading(u, base, i, false)),
          10,
          (n) => {
            acked += n
            if (acked >= (VEHICLES * PER_VEHICLE) / 6) midStream()
          },
        ),
      ),
    )
    // Mid-stream, whatever the machine's speed: a sixth acknowledged, the rest still to send.
    await reached
    expect(acked).toBeLessThan(VEHICLES * PER_VEHICLE)
    nats!.kill('SIGKILL')
    await once(nats!, 'exit')
    await new Promise((r) => setTimeout(r, 1500))
    await startNats()
    // Every unit got every reading acknowledged, some only after the broker came back.
    expect(await sending).toEqual(units.map(() => PER_VEHICLE))
    for (const p of [api, worker]) {
      await until(
        'a reconnect',
        async () => {
          const c = (await health(p)).connection
          return c.status === 'connected' && c.reconnects >= 1
        },
        90_000,
      )
    }

    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const vins = units.map((u) => u.vin)
      const count = async () =>
        (
          await client.query(
            `select count(*)::int as n, count(distinct (t.vehicle_id, t.ts))::int as d
             from telemetry_logs t join vehicles v on v.id = t.vehicle_id where v.vin = any($1)`,
            [vins],
          )
        ).rows[0] as { n: number; d: number }
      await until(
        'every acknowledged reading stored',
        async () => (await count()).n === VEHICLES * PER_VEHICLE,
        180_000,
      )
      expect(await count()).toEqual({ n: VEHICLES * PER_VEHICLE, d: VEHICLES * PER_VEHICLE })
    } finally {
      await client.end()
    }
  }, 600_000)
})
