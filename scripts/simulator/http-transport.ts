import { MAX_READINGS_PER_REQUEST } from '../../src/schemas/intake.js'
import type { Counters } from './counters.js'
import type { Batch, Unit } from './unit.js'
import { backoffMs, sleep } from './wait.js'

interface IntakeAnswer {
  accepted: number
  duplicates: number
  rejected: Array<{ index: number; code: string }>
}

/** Rejections that say "later", not "never": the readings go back to the front of the queue. */
const TRANSIENT = new Set(['OVERLOADED', 'SHUTTING_DOWN'])
/** Longest Retry-After honoured as given; a larger one is capped so a unit never stalls for long. */
const MAX_RETRY_AFTER_S = 30
const REQUEST_TIMEOUT_MS = 30_000

/**
 * One unit's HTTP intake: one request at a time (a unit posts and waits, as real ones do),
 * Bearer device token, every queued batch merged into one request of up to 1,000 readings.
 * 429 and 503 wait for Retry-After, network errors and other 5xx back off; all are sent again.
 */
export class HttpTransport {
  private busy = false

  constructor(
    private readonly unit: Unit,
    private readonly options: { url: string; giveUp: AbortSignal },
    private readonly counters: Counters,
  ) {}

  pump(): void {
    if (this.busy || this.unit.queue.length === 0) return
    this.busy = true
    void this.drain().finally(() => {
      this.busy = false
    })
  }

  get idle(): boolean {
    return !this.busy
  }

  private async drain(): Promise<void> {
    while (this.unit.queue.length > 0 && !this.options.giveUp.aborted) {
      const batch = this.take()
      this.unit.inFlight += batch.steps.length
      this.counters.messagesSent++
      try {
        await this.post(batch)
      } finally {
        this.unit.inFlight -= batch.steps.length
      }
    }
  }

  /** The queued batches, oldest first, as one request. */
  private take(): Batch {
    const first = this.unit.queue.shift()!
    const batch: Batch = { steps: [...first.steps], readings: [...first.readings] }
    for (;;) {
      const next = this.unit.queue[0]
      if (!next || batch.steps.length + next.steps.length > MAX_READINGS_PER_REQUEST) return batch
      this.unit.queue.shift()
      batch.steps.push(...next.steps)
      batch.readings.push(...next.readings)
    }
  }

  private async post(batch: Batch): Promise<void> {
    const body = JSON.stringify(batch.readings)
    const { giveUp } = this.options
    for (let attempt = 0; !giveUp.aborted; attempt++) {
      if (attempt > 0) this.counters.retries++
      batch.firstSentAt ??= performance.now()
      let res: Response
      try {
        res = await fetch(`${this.options.url}/api/v1/telemetry`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.unit.plan.token}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.any([giveUp, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        })
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause
        this.counters.error(`http: ${cause?.code ?? (err as Error).name}`)
        await sleep(backoffMs(attempt), giveUp)
        continue
      }
      if (res.status === 202) return this.answered(batch, (await res.json()) as IntakeAnswer)
      const text = await res.text()
      if (res.status === 429 || res.status === 503) {
        const after = Number(res.headers.get('retry-after'))
        const waitS = Number.isFinite(after) && after > 0 ? Math.min(after, MAX_RETRY_AFTER_S) : 1
        this.counters.error(`http: ${res.status}`)
        await sleep(waitS * 1000, giveUp)
        continue
      }
      if (res.status >= 500) {
        this.counters.error(`http: ${res.status}`)
        await sleep(backoffMs(attempt), giveUp)
        continue
      }
      // Any other answer refuses the whole request for good (400, 401, 413): not sent again.
      let code = `HTTP_${res.status}`
      try {
        code = (JSON.parse(text) as { code?: string }).code ?? code
      } catch {}
      this.counters.reject(code, batch.steps.length)
      return
    }
  }

  private answered(batch: Batch, answer: IntakeAnswer): void {
    const rejected = new Set<number>()
    const again: Batch = { steps: [], readings: [] }
    for (const r of answer.rejected) {
      rejected.add(r.index)
      if (TRANSIENT.has(r.code)) {
        again.steps.push(batch.steps[r.index]!)
        again.readings.push(batch.readings[r.index]!)
      } else this.counters.reject(r.code, 1)
    }
    this.counters.duplicatesAnswered += answer.duplicates
    this.unit.acknowledge(batch, this.counters, rejected)
    if (again.steps.length > 0) {
      this.counters.retries++
      this.unit.queue.unshift(again)
    }
  }
}
