import { sql } from 'kysely'
import type { DbHandle } from './client.js'
import { isUniqueViolation, sqlState } from './errors.js'

/** The stored columns of a reading; `vals` follows NUMERIC_FIELDS (src/schemas/telemetry.ts). */
export const TELEMETRY_COLUMNS = ['vehicle_id', 'ts', 'vals'] as const

/** How a stored reading is identified: its vehicle and its time, to the millisecond. */
export function readingKey(vehicleId: string, epochMs: number): string {
  return `${vehicleId}|${epochMs}`
}

export interface TelemetryStorage {
  /** Makes sure the partitions of these UTC days (`YYYY-MM-DD`) exist. */
  ensureDays(days: Iterable<string>): Promise<void>
  /** Stores COPY-text rows; returns the `readingKey`s of those that were new (the rest were stored already). */
  insertNew(text: string): Promise<Set<string>>
}

/** The telemetry table's write path: day partitions created ahead, rows deduplicated on their key. */
export function telemetryStorage(handle: Pick<DbHandle, 'db' | 'copyInsertNew'>): TelemetryStorage {
  const known = new Set<string>()
  const ensure = (day: string) => sql`select telemetry_ensure_partition(${day}::date)`.execute(handle.db)
  return {
    async ensureDays(days) {
      for (const day of days) {
        if (known.has(day)) continue
        try {
          await ensure(day)
        } catch (err) {
          // Two writers creating the same day at once: the loser sees the winner's table.
          if (!isUniqueViolation(err) && sqlState(err) !== '42P07') throw err
          await ensure(day)
        }
        known.add(day)
      }
    },
    async insertNew(text) {
      const rows = await handle.copyInsertNew('telemetry_logs', TELEMETRY_COLUMNS, text, ['vehicle_id', 'ts'])
      return new Set(
        rows.map((r) => readingKey(String(r.vehicle_id), new Date(r.ts as Date | string).getTime())),
      )
    },
  }
}
