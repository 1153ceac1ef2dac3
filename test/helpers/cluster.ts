import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import pg from 'pg'
import { makeReading } from './readings.js'
import type { ServerProcess } from './server-process.js'

/**
 * Multi-process cluster tests: they need PostgreSQL (PGlite is one process) and NATS with
 * JetStream. In CI (CI=true) a missing service fails the run; elsewhere the tests are skipped,
 * with the reason printed.
 */
export const MACHINE_NATS = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const PG_URL = process.env.TEST_DATABASE_URL

export async function clusterPrerequisites(): Promise<string | undefined> {
  const missing: string[] = []
  if (!PG_URL) missing.push('TEST_DATABASE_URL is not set')
  else if (!(await pgReachable(PG_URL))) missing.push(`PostgreSQL at ${PG_URL} does not answer`)
  if (!(await natsReachable(MACHINE_NATS))) missing.push(`NATS at ${MACHINE_NATS} does not answer`)
  if (missing.length === 0) return undefined
  const reason = missing.join('; ')
  if (process.env.CI === 'true') throw new Error(`cluster tests cannot run in CI: ${reason}`)
  console.warn(`SKIPPING the cluster tests: ${reason}`)
  return reason
}

async function pgReachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  return c.connect().then(
    () => c.end().then(() => true),
    () => false,
  )
}

export async function natsReachable(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 2000, reconnect: false })
    await (await jetstreamManager(nc)).getAccountInfo()
    await nc.close()
    return true
  } catch {
    return false
  }
}

/** A new empty PostgreSQL database for the processes of one test; `drop()` removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `autonoma_cluster_${randomBytes(6).toString('hex')}`
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: PG_URL })
    await c.connect()
    try {
      return await c.query(q)
    } finally {
      await c.end()
    }
  }
  await admin(`CREATE DATABASE ${name}`)
  const url = new URL(PG_URL!)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}),
  }
}

/** Names of one test run on a shared NATS: its own stream, lease bucket and subjects. */
export function natsNames(): { NATS_STREAM: string; NATS_SUBJECT_PREFIX: string } {
  const tag = randomBytes(4).toString('hex')
  return { NATS_STREAM: `T_${tag}`, NATS_SUBJECT_PREFIX: `t${tag}` }
}

/** Deletes the run's stream and lease bucket. */
export async function removeNatsNames(url: string, stream: string): Promise<void> {
  const nc = await connect({ servers: url, timeout: 2000, reconnect: false }).catch(() => undefined)
  if (!nc) return
  const jsm = await jetstreamManager(nc)
  for (const name of [stream, `KV_${stream}_leases`]) await jsm.streams.delete(name).catch(() => false)
  await nc.close()
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'

export function randomVin(): string {
  return Array.from(randomBytes(17), (b) => VIN_CHARS[b % VIN_CHARS.length]).join('')
}

export interface Unit {
  vin: string
  token: string
}

/** `n` new vehicles through the API process, each with its device token. */
export async function provision(api: ServerProcess, n: number): Promise<Unit[]> {
  const login = await fetch(`${api.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@oem.com', password: 'admin_pass' }),
  }).then((r) => r.json() as Promise<{ access_token: string }>)
  const units: Unit[] = []
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${api.url}/api/vehicles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.access_token}` },
      body: JSON.stringify({ vin: randomVin(), owner: 'user@demo.com', model: 'Model C' }),
    })
    if (res.status !== 201) throw new Error(`onboarding: ${res.status} ${await res.text()}`)
    const body = (await res.json()) as { vin: string; device_token: string }
    units.push({ vin: body.vin, token: body.device_token })
  }
  return units
}

/** Reading `i` of a unit: one a second from `base`; `hot` ones run the battery at 50 °C. */
export function reading(unit: Unit, base: number, i: number, hot: boolean) {
  const { vin: _vin, ...r } = makeReading(
    unit.vin,
    new Date(base + i * 1000),
    hot ? { battery_temperature: 50 } : {},
  )
  return r
}

/**
 * Sends readings of one unit in order, in requests of `batch`, until each is acknowledged
 * (accepted or a duplicate): 503 and readings refused for now are sent again. Returns the
 * number acknowledged.
 */
export async function sendAll(
  baseUrl: () => string,
  unit: Unit,
  readings: unknown[],
  batch = 25,
  /** Called with each acknowledged count, as the acknowledgements come. */
  onAcked?: (n: number) => void,
): Promise<number> {
  let acked = 0
  for (let at = 0; at < readings.length; ) {
    const chunk = readings.slice(at, at + batch)
    const res = await fetch(`${baseUrl()}/api/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${unit.token}` },
      body: JSON.stringify(chunk),
    }).catch(() => undefined)
    if (res?.status !== 202) {
      await new Promise((r) => setTimeout(r, 200))
      continue
    }
    const body = (await res.json()) as { rejected: { index: number; code: string }[] }
    const later = body.rejected.filter((r) => r.code === 'OVERLOADED' || r.code === 'SHUTTING_DOWN')
    if (body.rejected.length > later.length) throw new Error(`rejected: ${JSON.stringify(body.rejected)}`)
    // Everything before the first refused reading is safe; send again from there, in order.
    const safe = later.length > 0 ? Math.min(...later.map((r) => r.index)) : chunk.length
    acked += safe
    at += safe
    if (safe > 0) onAcked?.(safe)
    if (later.length > 0) await new Promise((r) => setTimeout(r, 200))
  }
  return acked
}
