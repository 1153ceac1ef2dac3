import type { FastifyBaseLogger } from 'fastify'
import type { Repositories } from '../db/repositories/index.js'
import { DATA_QUALITY_ALARM, type Severity } from '../domain.js'
import type { NumericField, TelemetryReading } from '../schemas/telemetry.js'
import type { EventBus } from './event-bus.js'
import { messages } from './messages.js'
import type { ReadingObserver, VehicleLiveState } from './pipeline-types.js'

export type DataQualityIssueKind = 'stale' | 'stuck' | 'implausible'

export interface DataQualityIssue {
  kind: DataQualityIssueKind
  detail: string
}

/** A vehicle's data quality as staff see it (vehicle DTOs, health). */
export interface VehicleDataQuality {
  status: 'ok' | 'degraded'
  issues: DataQualityIssue[]
  /** Implausible values per signal since the service started. */
  invalid_values: Partial<Record<NumericField, number>>
  /** Share of the recent readings that had an implausible value. */
  invalid_share: number
  alarm_id: string | null
}

export interface DataQualityOptions {
  /**
   * Reading time a vehicle may fall behind the fleet before it is stale. "The fleet" is the
   * (upper) median of the vehicles' newest readings, not the newest of all: one device whose
   * readings are stamped far ahead of the rest must not make every other vehicle stale.
   */
  staleMs: number
  implausibleShare: number
}

const SEVERITY: Severity = 'Medium'
/** The share is judged once this many readings are in the window, not on the first bad one. */
const MIN_WINDOW = 16

interface Tracked {
  state: VehicleLiveState
  /** The issues present now; their wording is built only when the alarm changes or is asked for. */
  kinds: DataQualityIssueKind[]
  stuck: boolean
  implausible: boolean
  stale: boolean
  eventId: string | null
  /** The reason stored on the alarm, to write only when it changes. */
  reason: string | null
  /** One database change at a time per vehicle, in order. */
  chain: Promise<void>
  /** An alarm carried over from a previous life: judged again at the first reading. */
  rejudge: boolean
}

/**
 * Watches every vehicle's data for what makes its analysis untrustworthy: no readings while the
 * rest of the fleet reports (stale), a normally noisy signal frozen at one value (stuck), or a
 * high share of physically implausible values. Each raises one data-quality alarm per vehicle
 * (`DATA_QUALITY_ALARM`) for staff, told to staff only; it resolves when the data is good again.
 * The owner gets no message and no maintenance alert: a sensor or a link is for the fleet's
 * operators to look at, and the detection keeps judging the values that are there.
 */
export class DataQualityMonitor implements ReadingObserver {
  private readonly tracked = new Map<string, Tracked>()
  /** Open alarms of a previous life, by vehicle id, bound to the vehicle at its first reading. */
  private readonly carried = new Map<string, string>()
  private fleetNewest = Number.NEGATIVE_INFINITY
  private lastStaleCheck = Number.NEGATIVE_INFINITY
  private readonly counts = { opened: 0, resolved: 0, failures: 0 }
  /** Where the fleet is, in reading time, as of the last stale check. */
  private fleetNow = Number.NEGATIVE_INFINITY

  constructor(
    private readonly deps: { repos: Repositories; bus: EventBus; log: FastifyBaseLogger },
    private readonly options: DataQualityOptions,
  ) {}

  /** Picks up the data-quality alarms a previous run of the service left open. */
  async loadOpen(): Promise<void> {
    for (const e of await this.deps.repos.anomalies.listUnresolvedOfType(DATA_QUALITY_ALARM)) {
      this.carried.set(e.vehicle_id, e.id)
    }
  }

  onReading(state: VehicleLiveState, reading: TelemetryReading): void {
    let t = this.tracked.get(state.vehicle.vin)
    if (!t) {
      const eventId = this.carried.get(state.vehicle.id) ?? null
      this.carried.delete(state.vehicle.id)
      t = {
        state,
        kinds: [],
        stuck: false,
        implausible: false,
        stale: false,
        eventId,
        reason: null,
        chain: Promise.resolve(),
        rejudge: eventId !== null,
      }
      this.tracked.set(state.vehicle.vin, t)
    }
    t.state = state
    const q = state.quality
    t.stale = false
    t.stuck = q.stuck() !== null
    const share = q.invalidShare
    const enough = q.windowFill >= MIN_WINDOW
    // Raised at the share, cleared below half of it: a share wavering at the limit is one alarm.
    t.implausible =
      enough &&
      (t.implausible ? share >= this.options.implausibleShare / 2 : share >= this.options.implausibleShare)
    this.settle(t, reading.timestamp)
    if (state.lastTs > this.fleetNewest) this.fleetNewest = state.lastTs
    if (this.fleetNewest - this.lastStaleCheck >= this.options.staleMs / 4) {
      this.lastStaleCheck = this.fleetNewest
      this.checkStale()
    }
  }

  /** The vehicle's data quality, or null when it has not reported since the service started. */
  of(vin: string): VehicleDataQuality | null {
    const t = this.tracked.get(vin)
    if (!t) return null
    const q = t.state.quality
    return {
      status: t.kinds.length > 0 ? 'degraded' : 'ok',
      // Worded when asked, not per reading: the counts in the wording move with every reading.
      issues: t.kinds.length > 0 ? this.describe(t) : [],
      invalid_values: { ...q.invalid },
      invalid_share: Math.round(q.invalidShare * 1000) / 1000,
      alarm_id: t.eventId,
    }
  }

  get stats() {
    const vehicles: Record<
      string,
      { issues: DataQualityIssueKind[]; invalid_values: Record<string, number> }
    > = {}
    let invalid = 0
    for (const [vin, t] of this.tracked) {
      invalid += t.state.quality.invalidTotal
      if (t.kinds.length > 0 || t.state.quality.invalidTotal > 0) {
        vehicles[vin] = {
          issues: [...t.kinds],
          invalid_values: { ...t.state.quality.invalid },
        }
      }
    }
    return {
      vehicles_with_issues: [...this.tracked.values()].filter((t) => t.kinds.length > 0).length,
      invalid_values: invalid,
      alarms_opened: this.counts.opened,
      alarms_resolved: this.counts.resolved,
      alarm_write_failures: this.counts.failures,
      vehicles,
    }
  }

  /** Waits for the alarm writes in flight. */
  async drain(): Promise<void> {
    await Promise.all([...this.tracked.values()].map((t) => t.chain))
  }

  private checkStale(): void {
    const newest = Array.from(this.tracked.values(), (t) => t.state.lastTs).sort((a, b) => a - b)
    this.fleetNow = newest[newest.length >> 1]!
    for (const t of this.tracked.values()) {
      const stale = this.fleetNow - t.state.lastTs > this.options.staleMs
      if (stale === t.stale) continue
      t.stale = stale
      this.settle(t, new Date(this.fleetNow).toISOString())
    }
  }

  /**
   * Recomputes the issues; opens, rewords or resolves the alarm when their kinds changed (not on
   * every reading: the counts in the wording move all the time).
   */
  private settle(t: Tracked, at: string): void {
    const kinds: DataQualityIssueKind[] = []
    if (t.stale) kinds.push('stale')
    if (t.stuck) kinds.push('stuck')
    if (t.implausible) kinds.push('implausible')
    const changed = kinds.join() !== t.kinds.join()
    t.kinds = kinds
    if (!changed && !t.rejudge) return
    t.rejudge = false
    const issues = this.describe(t)
    const reason = issues.length > 0 ? issues.map((i) => `${i.kind}: ${i.detail}`).join('; ') : null
    t.chain = t.chain
      .then(() => this.write(t, reason, at))
      .catch((err) => {
        this.counts.failures++
        this.deps.log.error({ err, vin: t.state.vehicle.vin }, 'data-quality alarm write failed')
      })
  }

  private describe(t: Tracked): DataQualityIssue[] {
    const q = t.state.quality
    const issues: DataQualityIssue[] = []
    if (t.stale) {
      const minutes = Math.round((this.fleetNow - t.state.lastTs) / 60_000)
      issues.push({
        kind: 'stale',
        detail: `no reading for ${minutes} min while the fleet reports (last ${new Date(t.state.lastTs).toISOString()})`,
      })
    }
    const stuck = t.stuck ? q.stuck() : null
    if (stuck) {
      issues.push({
        kind: 'stuck',
        detail: `${stuck.signal} constant at ${stuck.value} for ${stuck.readings} readings`,
      })
    }
    if (t.implausible) {
      const signals = Object.entries(q.invalid)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([signal, n]) => `${signal} ${n}`)
        .join(', ')
      issues.push({
        kind: 'implausible',
        detail: `${Math.round(q.invalidShare * 100)} % of the last ${q.windowFill} readings had a value out of its physical range (${signals})`,
      })
    }
    return issues
  }

  private async write(t: Tracked, reason: string | null, at: string): Promise<void> {
    const { anomalies } = this.deps.repos
    const { vehicle } = t.state
    if (reason === null) {
      if (t.eventId === null) return
      const id = t.eventId
      t.eventId = null
      t.reason = null
      const resolved = await anomalies.resolveEpisode(id, at, 'recovered')
      if (resolved) {
        this.counts.resolved++
        this.notify(id, vehicle.vin, 'RESOLVED')
      }
      return
    }
    if (t.eventId !== null) {
      if (reason !== t.reason) await anomalies.updateReason(t.eventId, reason, at)
      t.reason = reason
      return
    }
    const created = await anomalies.openEpisode(
      vehicle.id,
      DATA_QUALITY_ALARM,
      SEVERITY,
      {},
      {
        detectedAt: at,
        reason,
        signals: [],
      },
    )
    t.eventId = created.event.id
    t.reason = reason
    if (!created.opened) await anomalies.updateReason(t.eventId, reason, at)
    this.counts.opened++
    this.notify(t.eventId, vehicle.vin, 'OPEN')
  }

  private notify(id: string, vin: string, status: 'OPEN' | 'RESOLVED'): void {
    this.deps.bus.publish(
      messages.dataQuality({ id, vin, status, severity: SEVERITY, anomaly_type: DATA_QUALITY_ALARM }),
    )
  }
}
