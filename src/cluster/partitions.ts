/**
 * Where a vehicle's readings go: one partition per vehicle, for good (FNV-1a of the VIN modulo
 * the partition count). Every process must compute the same number, so this never changes for a
 * stream's life; a new partition count needs a new stream.
 */
export function partitionOf(vin: string, partitions: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < vin.length; i++) {
    hash ^= vin.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % partitions
}

/** The subjects of one deployment (`prefix.` in front of each, when configured). */
export interface Subjects {
  /** `telemetry.<partition>.<vin>`: a reading on the stream. */
  reading(vin: string): string
  /** Every reading subject the stream holds. */
  readonly readings: string
  /** The reading subjects of one partition (a consumer's filter). */
  partition(p: number): string
  /** `events.<type>.<vin>` (`_` for no vehicle): a real-time message on core NATS. */
  event(type: string, vin: string | null): string
  readonly events: string
}

export function subjects(prefix: string | undefined, partitions: number): Subjects {
  const p = prefix ? `${prefix}.` : ''
  return {
    reading: (vin) => `${p}telemetry.${partitionOf(vin, partitions)}.${vin}`,
    readings: `${p}telemetry.*.*`,
    partition: (n) => `${p}telemetry.${n}.*`,
    event: (type, vin) => `${p}events.${type}.${vin ?? '_'}`,
    events: `${p}events.>`,
  }
}
