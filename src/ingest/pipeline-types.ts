import { READING_WINDOW_MINUTES } from '../domain.js'
import type { TelemetryReading } from '../schemas/telemetry.js'
import type { RejectCode, SubmitResult } from './reading-intake.js'
import type { ReadingRing } from './reading-ring.js'
import type { SignalQuality } from './signal-quality.js'

/** The pipeline's vocabulary: split from `pipeline.ts` (which re-exports it) to keep files small. */

export interface VehicleRef {
  id: string
  vin: string
  ownerId: string
  model: string
  batch: string | null
}

/** What the service knows about a vehicle right now, kept in memory and bounded. */
export interface VehicleLiveState {
  vehicle: VehicleRef
  latest: TelemetryReading | null
  recent: ReadingRing
  /** Epoch ms of the newest reading analysed: an older one is late, an equal one a duplicate. */
  lastTs: number
  /** Epoch ms (wall clock) its own unit last sent a reading: the replay leaves it alone meanwhile. */
  unitAt: number
  /** Implausible values per signal, their recent share, stuck signals (see `SignalQuality`). */
  quality: SignalQuality
}

/**
 * How long after its own unit's last reading a vehicle is left to that unit: two reading windows
 * (a unit sends one every 15 minutes), so one late reading does not hand it back to the replay.
 */
export const UNIT_YIELD_MS = 2 * READING_WINDOW_MINUTES * 60_000

/**
 * A vehicle whose own unit reports is not simulated: on one clock (a live replay) the unit's and
 * the replay's readings would interleave into one made-up vehicle (on the file's clock the
 * replay's were merely late).
 */
export function leftToItsUnit(state: VehicleLiveState | undefined, now: number): boolean {
  return state !== undefined && now - state.unitAt < UNIT_YIELD_MS
}

/** Sees every valid reading of a known vehicle, in order, on the hot path: must be cheap. */
export interface ReadingObserver {
  onReading(state: VehicleLiveState, reading: TelemetryReading): void
  /**
   * The source says its next readings do not continue the previous ones (the replay wrapped
   * around to its first row): learned baselines must not see the jump as a change of the vehicle.
   */
  onDiscontinuity?(state: VehicleLiveState): void
}

/**
 * `accepted`: new and analysed; `late`: older than the vehicle's newest analysed reading, so
 * stored (once) but not analysed; `duplicate`: the same timestamp as the newest, dropped;
 * `draining`: the service is stopping and takes nothing more (an intake route answers 503).
 */
export type IngestOutcome = 'accepted' | 'late' | 'duplicate' | 'invalid' | 'unknown_vehicle' | 'draining'

export interface PipelineStats {
  accepted: number
  late: number
  duplicate: number
  invalid: number
  /** `invalid` by why (a replayed row that fails the schema counts as INVALID_VALUE). */
  invalidByCode: Partial<Record<RejectCode, number>>
  unknownVehicle: number
  /** Offered after intake stopped (see `stopIntake`), and refused. */
  refused: number
  /** Replayed readings not sent for a vehicle whose own unit is reporting (see `UNIT_YIELD_MS`). */
  yieldedToUnit: number
  vehicles: number
  lastReadingAt: string | null
}

export interface Source {
  /** `onDiscontinuity` is called before the first reading that does not continue the ones before. */
  streamData(hooks: { onDiscontinuity(): void }): AsyncGenerator<TelemetryReading>
  stop(): void
}

/**
 * What device intake (HTTP, MQTT) hands readings to: the pipeline in one process, the stream of
 * readings in a cluster. `submit` resolves once the reading is safe (committed, or on the stream).
 */
export interface ReadingSink {
  submit(raw: unknown, vin: string): Promise<SubmitResult>
  readonly accepting: boolean
}
