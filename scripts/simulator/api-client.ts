import { randomInt } from 'node:crypto'
import { buildVin, VIN_ALPHABET } from '../../src/simulation/vin.js'
import type { SourceVehicle } from './fleet-source.js'
import { backoffMs, sleep } from './wait.js'

/** A unit's identity as the service issued it. */
export interface Device {
  vin: string
  token: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message)
  }
}

const REQUEST_TIMEOUT_MS = 30_000
/** How long a read is asked again while the service cannot answer it (restarting, draining). */
const READ_RETRY_MS = 60_000
const UNAVAILABLE = new Set([502, 503, 504])

/** The manufacturer's side of the API: login, onboarding, and the range reads that verify a run. */
export class ApiClient {
  private token = ''

  constructor(
    private readonly baseUrl: string,
    private readonly readRetryMs = READ_RETRY_MS,
  ) {}

  async login(email: string, password: string): Promise<void> {
    const body = await this.call<{ access_token: string }>('POST', '/api/auth/login', { email, password })
    this.token = body.access_token
  }

  /** A new vehicle with a fresh VIN, owned by `owner`, and its first device token. */
  async createVehicle(source: SourceVehicle, owner: string): Promise<Device> {
    for (let attempt = 0; ; attempt++) {
      const vin = freshVin()
      try {
        const created = await this.call<{ vin: string; device_token: string }>('POST', '/api/vehicles', {
          vin,
          owner,
          model: source.model,
          year: source.year,
          batch: source.batch,
        })
        return { vin: created.vin, token: created.device_token }
      } catch (err) {
        // A VIN taken already (one in 33^11): draw another.
        if (!(err instanceof ApiError && err.status === 409) || attempt >= 3) throw err
      }
    }
  }

  /** The first `count` active vehicles, with new device tokens (their old tokens stop at once). */
  async rotateVehicles(count: number): Promise<Device[]> {
    const vehicles = await this.call<Array<{ vin: string; decommissioned_at: string | null }>>(
      'GET',
      '/api/vehicles',
    )
    const active = vehicles.filter((v) => v.decommissioned_at === null).slice(0, count)
    if (active.length < count)
      throw new Error(`--provision rotate needs ${count} active vehicles; the service has ${active.length}`)
    return pool(active, 8, async (v) => {
      const c = await this.call<{ vin: string; device_token: string }>(
        'POST',
        `/api/vehicles/${v.vin}/credentials`,
      )
      return { vin: c.vin, token: c.device_token }
    })
  }

  /** Stored timestamps (epoch ms) of `vin` in [fromMs, toMs), every page of the raw range API. */
  async storedTimestamps(vin: string, fromMs: number, toMs: number): Promise<number[]> {
    const out: number[] = []
    let from = new Date(fromMs).toISOString()
    const to = new Date(toMs).toISOString()
    for (;;) {
      const query = new URLSearchParams({ from, to, bucket: 'raw', limit: '10000' })
      const res = await this.request('GET', `/api/vehicles/${vin}/telemetry?${query}`)
      const page = (await res.json()) as Array<{ timestamp: string }>
      for (const r of page) out.push(Date.parse(r.timestamp))
      const next = res.headers.get('x-next-from')
      if (!next) return out
      from = next
    }
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, body)).json()) as T
  }

  /**
   * A read (GET) that finds the service down or unavailable is asked again with backoff: the
   * verification after a run must not fail because the service was restarting just then. Writes
   * are not repeated here; their callers know whether a repeat is safe.
   */
  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const deadline = Date.now() + this.readRetryMs
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.requestOnce(method, path, body)
      } catch (err) {
        // fetch rejects with a TypeError when it cannot connect at all.
        const unavailable = err instanceof ApiError ? UNAVAILABLE.has(err.status) : err instanceof TypeError
        const wait = backoffMs(attempt)
        if (method !== 'GET' || !unavailable || Date.now() + wait > deadline) throw err
        await sleep(wait)
      }
    }
  }

  private async requestOnce(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    if (res.ok) return res
    const text = await res.text()
    let code: string | undefined
    try {
      code = (JSON.parse(text) as { code?: string }).code
    } catch {}
    throw new ApiError(res.status, code, `${method} ${path}: ${res.status} ${text.slice(0, 300)}`)
  }
}

/** A valid VIN (check digit and all) under a WMI of its own, random enough never to repeat in practice. */
export function freshVin(): string {
  const pick = (n: number) =>
    Array.from({ length: n }, () => VIN_ALPHABET[randomInt(VIN_ALPHABET.length)]).join('')
  return buildVin({ wmi: 'SMV', vds: pick(5), year: 2026, plant: pick(1), serial: pick(6) })
}

/** Runs `fn` over `items`, at most `limit` at a time, results in order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
