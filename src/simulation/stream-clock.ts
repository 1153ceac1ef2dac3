import { type ReplayPosition, resumePosition, type Timeline } from './stream-timeline.js'

/**
 * Whose time a replayed reading carries. `recorded`: the file's own timestamps (shifted forward a
 * span per loop), for back-tests and for tests that name the dataset's instants. `live`: the wall
 * clock at which the replay sends it, one step every `delaySeconds`, like a fleet of real units,
 * so the charts, alarms, chat and bookings all read one clock. A live replay is a time-lapse: one
 * reading still stands for the file's step (15 minutes of driving), it only arrives sooner.
 */
export type ReplayClock = 'recorded' | 'live'

/**
 * One run of a live replay: from global step `firstStep` (pass x steps + step), stamped
 * `startedAt + (step - firstStep) x paceMs`. Kept so that a restart can tell which step the last
 * stored reading was, which its wall-clock stamp alone cannot say.
 */
export interface ReplaySegment {
  firstStep: number
  startedAt: Date
  paceMs: number
}

/** The stamp of global step `g` in a segment: whole milliseconds, whatever the pace. */
export function liveStamp(segment: ReplaySegment, g: number): number {
  return segment.startedAt.getTime() + Math.round((g - segment.firstStep) * segment.paceMs)
}

/** Where a live replay keeps its segments (the database, in the service). */
export interface ReplayLedger {
  /** The segment whose stamps cover `at`: the latest one started at or before it, or null. */
  segmentAt(at: Date): Promise<ReplaySegment | null>
  /** Stored before the first reading of the segment is sent. */
  begin(segment: ReplaySegment): Promise<void>
}

/** The newest stored reading time, and which vehicles have a reading at it (a stop inside a step). */
export interface ResumePoint {
  after: Date
  stored: ReadonlySet<string>
}

/** A global step (pass x steps + step) as a position in the file. */
export function positionOf(timeline: Timeline, globalStep: number): ReplayPosition {
  const steps = Math.max(1, timeline.steps)
  return { loop: Math.floor(globalStep / steps), step: globalStep % steps }
}

export function globalStepOf(timeline: Timeline, position: ReplayPosition): number {
  return position.loop * timeline.steps + position.step
}

/**
 * The first global step stamped at or after `at`, and whether its stamp is `at` exactly: where a
 * restarted replay picks up after the newest stored reading. A live replay finds it through the
 * ledger's segment covering `at`; a stamp no segment covers (and any stamp of a recorded replay)
 * is placed by the file's own times. Null when a non-looping replay has nothing there.
 */
export async function stepAtOrAfter(
  timeline: Timeline,
  at: Date,
  ledger: ReplayLedger | undefined,
  loop: boolean,
): Promise<{ step: number; exact: boolean } | null> {
  const ms = at.getTime()
  const segment = ledger ? await ledger.segmentAt(at) : null
  if (segment) {
    // The nearest step, then the next one when that is still before `at` (stamps are rounded).
    let step =
      segment.firstStep + Math.max(0, Math.round((ms - segment.startedAt.getTime()) / segment.paceMs))
    if (liveStamp(segment, step) < ms) step++
    return { step, exact: liveStamp(segment, step) === ms }
  }
  // Stamps are whole milliseconds: the first step after ms - 1 is the first at or after ms.
  const position = resumePosition(timeline, ms - 1, loop)
  if (!position) return null
  const step = globalStepOf(timeline, position)
  return { step, exact: recordedStamp(timeline, step) === ms }
}

/** The recorded stamp of a global step: the file's time, shifted one span per pass. */
export function recordedStamp(timeline: Timeline, globalStep: number): number {
  const { loop, step } = positionOf(timeline, globalStep)
  return timeline.stepTimes[step]! + loop * timeline.loopShiftMs
}
