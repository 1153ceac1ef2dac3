import type { TelemetryReading } from '../../src/schemas/telemetry.js'

/**
 * Offers `ratePerS` readings per second for `durationMs`, on 1 ms timer ticks (each tick sends
 * what is due, so the load is smooth at any rate), calling `send` with a reading from `source`.
 */
export async function offer(
  source: () => TelemetryReading,
  send: (reading: TelemetryReading) => void,
  ratePerS: number,
  durationMs: number,
): Promise<{ sent: number; ms: number }> {
  const t0 = performance.now()
  let sent = 0
  for (;;) {
    const elapsed = performance.now() - t0
    if (elapsed >= durationMs) break
    const due = Math.floor((elapsed * ratePerS) / 1000) - sent
    for (let i = 0; i < due; i++) send(source())
    sent += Math.max(0, due)
    await new Promise((r) => setTimeout(r, 1))
  }
  return { sent, ms: performance.now() - t0 }
}

/** Readings of `pool` in turn, for ever. */
export function cycle(pool: readonly TelemetryReading[]): () => TelemetryReading {
  let i = 0
  return () => pool[i++ % pool.length]!
}
