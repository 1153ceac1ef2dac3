import { AppError } from '../errors.js'
import type { IntakeHooks } from '../ingest/intake-hooks.js'
import type { ReadingSink } from '../ingest/pipeline.js'
import { TokenBuckets } from '../lib/token-bucket.js'
import { type IntakeResult, MAX_READINGS_PER_REQUEST, type ReadingRejection } from '../schemas/intake.js'
import type { AuthDevice } from './device.service.js'

export interface IntakeOptions {
  rate: { perSecond: number; burst: number }
  now?: () => number
  /** Behaviour analytics: seconds a throttled device waits, and readings refused as impossible. */
  hooks?: IntakeHooks
}

/** Counts of one device's intake, shown by `/api/health` (`device_intake.devices[vin]`). */
export interface DeviceIntakeCounts {
  accepted: number
  duplicates: number
  rejected: number
  /** Rejections by code (VIN_MISMATCH, TIMESTAMP_IN_FUTURE, ...). */
  rejected_by_code: Record<string, number>
  /** Requests refused with 429. */
  rate_limited: number
  last_request_at: string | null
}

export interface IntakeStats {
  requests: number
  accepted: number
  duplicates: number
  rejected: number
  rate_limited: number
  /** Requests refused with 503 because the pipeline was full. */
  busy: number
  devices: Record<string, DeviceIntakeCounts>
}

/** Refusals for now, not the device's fault: not fed to behaviour analytics. */
const TRANSIENT: ReadonlySet<string> = new Set(['SHUTTING_DOWN', 'OVERLOADED'])

/** Seconds a client is told to wait when the pipeline is full. */
const BUSY_RETRY_SECONDS = 1

/**
 * The HTTP telemetry intake behind `/api/v1/telemetry`: per-device rate (a token bucket, so the
 * buffer behind it is never unbounded), backpressure from the pipeline (503 while its writer is
 * full), then every reading on its own: normalised, checked, submitted. A bad reading is reported
 * by index and never stops the rest of the batch.
 */
export class IntakeService {
  private readonly buckets: TokenBuckets
  private readonly now: () => number
  private readonly hooks: IntakeHooks
  private readonly totals = { requests: 0, accepted: 0, duplicates: 0, rejected: 0, rate_limited: 0, busy: 0 }
  private readonly perDevice = new Map<string, DeviceIntakeCounts>()

  constructor(
    private readonly sink: ReadingSink,
    options: IntakeOptions,
  ) {
    this.now = options.now ?? Date.now
    this.hooks = options.hooks ?? {}
    this.buckets = new TokenBuckets(options.rate.perSecond, options.rate.burst, this.now)
  }

  get stats(): IntakeStats {
    const devices: Record<string, DeviceIntakeCounts> = {}
    for (const [vin, c] of this.perDevice)
      devices[vin] = { ...c, rejected_by_code: { ...c.rejected_by_code } }
    return { ...this.totals, devices }
  }

  /** Counts of one device (undefined until it has sent something). */
  deviceStats(vin: string): DeviceIntakeCounts | undefined {
    return this.stats.devices[vin]
  }

  async accept(device: AuthDevice, body: unknown[] | Record<string, unknown>): Promise<IntakeResult> {
    const items = Array.isArray(body) ? body : [body]
    const counts = this.counts(device.vin)
    this.totals.requests++
    counts.last_request_at = new Date(this.now()).toISOString()
    if (items.length > MAX_READINGS_PER_REQUEST) {
      throw new AppError(
        'TOO_MANY_READINGS',
        `${items.length} readings; at most ${MAX_READINGS_PER_REQUEST}`,
        {
          readings: items.length,
          max: MAX_READINGS_PER_REQUEST,
        },
      )
    }
    if (!this.sink.accepting) {
      this.totals.busy++
      throw new AppError('INTAKE_BUSY', undefined, undefined, { retryAfterSeconds: BUSY_RETRY_SECONDS })
    }
    const throttled = this.hooks.throttledFor?.(device.vin) ?? 0
    if (throttled > 0) {
      this.totals.rate_limited++
      counts.rate_limited++
      throw new AppError('DEVICE_THROTTLED', undefined, undefined, { retryAfterSeconds: throttled })
    }
    const wait = this.buckets.take(device.vin, items.length)
    if (wait > 0) {
      this.totals.rate_limited++
      counts.rate_limited++
      throw new AppError(
        'RATE_LIMITED',
        `This device is over its rate; retry in ${Math.ceil(wait)} s`,
        { readings: items.length },
        { retryAfterSeconds: wait },
      )
    }

    // Submitted in request order without waiting in between: the pipeline validates and analyses
    // them in that order (the VIN is the token's, whatever the body says) and its writer commits
    // them together; each promise resolves after that commit.
    const results = await Promise.all(items.map((raw) => this.sink.submit(raw, device.vin)))
    const rejected: ReadingRejection[] = []
    let accepted = 0
    let duplicates = 0
    for (const [index, result] of results.entries()) {
      if (result.status === 'stored') accepted++
      else if (result.status === 'duplicate') duplicates++
      else {
        const { status: _s, ...rejection } = result
        rejected.push({ index, ...rejection })
      }
    }

    counts.accepted += accepted
    counts.duplicates += duplicates
    counts.rejected += rejected.length
    for (const r of rejected) counts.rejected_by_code[r.code] = (counts.rejected_by_code[r.code] ?? 0) + 1
    const impossible = rejected.filter((r) => !TRANSIENT.has(r.code)).map((r) => r.code)
    if (impossible.length > 0) this.hooks.onRejected?.(device.vin, impossible)
    this.totals.accepted += accepted
    this.totals.duplicates += duplicates
    this.totals.rejected += rejected.length
    return { accepted, duplicates, rejected }
  }

  private counts(vin: string): DeviceIntakeCounts {
    let c = this.perDevice.get(vin)
    if (!c) {
      c = {
        accepted: 0,
        duplicates: 0,
        rejected: 0,
        rejected_by_code: {},
        rate_limited: 0,
        last_request_at: null,
      }
      this.perDevice.set(vin, c)
    }
    return c
  }
}
