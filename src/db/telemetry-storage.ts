import { sql } from 'kysely'
import type { DbHandle } from './client.js'
import { isUniqueViolation, sqlState } from './errors.js'

/** The stored columns of a reading; `vals` follows NUMERIC_FIELDS (src/schemas/telemetry.ts). */
export const TELEMETRY_COLUMNS = ['vehicle_id', 'ts', 'vals'] as const

/** How a stored reading is identified: its vehicle and its time, to the millisecond. */
export function readingKey(vehicleId: string, epochMs: number): string {
  return `${vehicleId}|${epochMs}`
}

/** A day partition of `telemetry_logs` and the range of `ts` it holds: [from, to). */
export interface TelemetryPartition {
  name: string
  from: Date
  to: Date
}

const PARTITION_NAME = /^telemetry_logs_p(\d{4})(\d{2})(\d{2})$/

export interface TelemetryStorage {
  /** Makes sure the partitions of these UTC days (`YYYY-MM-DD`) exist. */
  ensureDays(days: Iterable<string>): Promise<void>
  /** Stores COPY-text rows; returns the `readingKey`s of those that were new (the rest were stored already). */
  insertNew(text: string): Promise<Set<string>>
  /** The day partitions, oldest first, with the bounds read from the catalog. */
  partitions(): Promise<TelemetryPartition[]>
  /** Drops one day partition (all its rows at once); a later write of that day creates it again. */
  dropPartition(name: string): Promise<void>
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
    async partitions() {
      // The bound expression is cast back to timestamptz by the server, in its own time zone.
      const r = await sql<{ name: string; lo: Date; hi: Date }>`
        select c.relname as name,
          substring(pg_get_expr(c.relpartbound, c.oid) from 'FROM \\(''([^'']+)''\\)')::timestamptz as lo,
          substring(pg_get_expr(c.relpartbound, c.oid) from 'TO \\(''([^'']+)''\\)')::timestamptz as hi
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'telemetry_logs'::regclass
        order by lo`.execute(handle.db)
      return r.rows
        .filter((p) => PARTITION_NAME.test(p.name) && p.lo && p.hi)
        .map((p) => ({ name: p.name, from: new Date(p.lo), to: new Date(p.hi) }))
    },
    async dropPartition(name) {
      const m = PARTITION_NAME.exec(name)
      if (!m) throw new Error(`not a telemetry day partition: ${name}`)
      await sql`drop table if exists ${sql.id(name)}`.execute(handle.db)
      known.delete(`${m[1]}-${m[2]}-${m[3]}`)
    },
  }
}
