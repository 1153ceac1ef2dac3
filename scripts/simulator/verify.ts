import { type ApiClient, pool } from './api-client.js'
import type { Unit } from './unit.js'

export interface VehicleCheck {
  vin: string
  acknowledged: number
  /** Stored readings of this unit's timestamps (each counted once). */
  stored: number
  /** Acknowledged and not stored. */
  missing: number
  /** Timestamps of this unit the range API returned more than once. */
  duplicated: number
  /** Stored, sent, never acknowledged (an ack lost with a connection, say): not an error. */
  storedUnacknowledged: number
  /** Stored readings in the unit's time range that it never sent (another source, e.g. the replay). */
  foreign: number
}

export interface Verification {
  vehicles: number
  acknowledged: number
  stored: number
  missing: number
  /** Missing readings a rejection on the MQTT errors topic accounts for (it names no message). */
  missingExplainedByRejections: number
  duplicated: number
  storedUnacknowledged: number
  foreign: number
  /** The vehicles with a problem, at most 20. */
  failures: VehicleCheck[]
  ok: boolean
}

/**
 * Reads back every unit's time range through the range API (raw bucket) and compares it with
 * what the unit saw acknowledged: each acknowledged reading must be there, and exactly once.
 */
export async function verifyStored(api: ApiClient, units: readonly Unit[]): Promise<Verification> {
  const checks = await pool(units, 8, async (unit) => checkUnit(api, unit))
  const sum = (key: keyof Omit<VehicleCheck, 'vin'>) => checks.reduce((n, c) => n + c[key], 0)
  let explained = 0
  const failures: VehicleCheck[] = []
  checks.forEach((c, i) => {
    const excused = Math.min(c.missing, units[i]!.unattributedRejections)
    explained += excused
    if (c.missing > excused || c.duplicated > 0) failures.push(c)
  })
  return {
    vehicles: checks.length,
    acknowledged: sum('acknowledged'),
    stored: sum('stored'),
    missing: sum('missing'),
    missingExplainedByRejections: explained,
    duplicated: sum('duplicated'),
    storedUnacknowledged: sum('storedUnacknowledged'),
    foreign: sum('foreign'),
    failures: failures.slice(0, 20),
    ok: failures.length === 0,
  }
}

async function checkUnit(api: ApiClient, unit: Unit): Promise<VehicleCheck> {
  const check: VehicleCheck = {
    vin: unit.vin,
    acknowledged: unit.acked.size,
    stored: 0,
    missing: 0,
    duplicated: 0,
    storedUnacknowledged: 0,
    foreign: 0,
  }
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (const step of unit.sent.values()) {
    first = Math.min(first, step)
    last = Math.max(last, step)
  }
  if (last < first) return check
  const timestamps = await api.storedTimestamps(unit.vin, unit.timestampOf(first), unit.timestampOf(last) + 1)
  const seen = new Set<number>()
  for (const ts of timestamps) {
    const step = unit.stepOf(ts)
    if (step === undefined || !unit.sent.has(step)) check.foreign++
    else if (seen.has(step)) check.duplicated++
    else {
      seen.add(step)
      check.stored++
      if (!unit.acked.has(step)) check.storedUnacknowledged++
    }
  }
  for (const step of unit.acked.values()) if (!seen.has(step)) check.missing++
  return check
}
