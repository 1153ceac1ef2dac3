import { percentile } from './ledger.js'

/** What the whole simulated fleet did so far; units add to it, the progress line and the summary read it. */
export class Counters {
  /** Readings put on the wire, deliberate duplicates included, resends not. */
  sent = 0
  /** Distinct readings acknowledged (PUBACK, or 202 without a rejection for that reading). */
  acknowledged = 0
  rejected = 0
  readonly rejectedByCode: Record<string, number> = {}
  /** Messages (MQTT) or requests (HTTP) sent again: after a reconnect, a network error, 429 or 503. */
  retries = 0
  reconnects = 0
  messagesSent = 0
  messagesAcknowledged = 0
  duplicatesSent = 0
  /** Readings the service answered as duplicates (HTTP only: a PUBACK says nothing about them). */
  duplicatesAnswered = 0
  outOfOrderSent = 0
  readonly errors: Record<string, number> = {}
  /** Milliseconds from a message's first send to its acknowledgement. */
  readonly latencies: number[] = []

  reject(code: string, readings: number): void {
    this.rejected += readings
    this.rejectedByCode[code] = (this.rejectedByCode[code] ?? 0) + readings
  }

  error(what: string): void {
    this.errors[what] = (this.errors[what] ?? 0) + 1
  }

  latency(): { n: number; p50: number; p95: number; p99: number; max: number } {
    const sorted = Float64Array.from(this.latencies).sort()
    const round = (x: number) => (Number.isNaN(x) ? Number.NaN : Math.round(x * 10) / 10)
    return {
      n: sorted.length,
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
    }
  }
}

function byCode(codes: Record<string, number>): string {
  const parts = Object.entries(codes).map(([code, n]) => `${code} ${n}`)
  return parts.length ? ` (${parts.join(', ')})` : ''
}

/** One progress line: `[  12s] sent 600  acked 590  rejected 0  retries 0  in flight 2`. */
export function progressLine(elapsedS: number, c: Counters, inFlight: number): string {
  return (
    `[${String(Math.round(elapsedS)).padStart(4)}s] sent ${c.sent}  acked ${c.acknowledged}  ` +
    `rejected ${c.rejected}${byCode(c.rejectedByCode)}  retries ${c.retries}  in flight ${inFlight}`
  )
}
