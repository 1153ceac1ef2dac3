import { sql } from 'kysely'
import type { Db } from '../client.js'

/** Reads over `telemetry_logs` (the writes are the batched COPY of the telemetry writer). */
export function telemetryRepository(db: Db) {
  return {
    /**
     * Each vehicle's newest stored reading time. One index probe per vehicle (the primary key is
     * (vehicle_id, ts), and the day partitions are searched newest first), never a scan.
     */
    async newestTimes(vehicleIds: readonly string[]): Promise<Map<string, Date>> {
      if (vehicleIds.length === 0) return new Map()
      const rows = await sql<{ id: string; newest: Date | null }>`
        select v.id, (select t.ts from telemetry_logs t where t.vehicle_id = v.id order by t.ts desc limit 1) as newest
        from unnest(${sql.val(vehicleIds)}::uuid[]) as v(id)`.execute(db)
      const out = new Map<string, Date>()
      for (const r of rows.rows) if (r.newest) out.set(r.id, new Date(r.newest))
      return out
    },

    /**
     * Where a restarted replay of these vehicles resumes: the newest stored reading time and the
     * vehicles that have a reading at it. A stop can fall inside a step (some vehicles of that
     * timestamp written, the rest not), so the replay sends that step again to the others only.
     * It runs at every start-up, on tables of many millions of rows, so it must stay cheap: a plain
     * `max(ts)` cannot use the (vehicle_id, ts) index and scans the table, so this asks the index
     * once per vehicle (its last entry). Keep it an index-only probe per vehicle if the storage
     * format changes. Without `vins`: every vehicle.
     */
    async resumePoint(vins?: readonly string[]): Promise<{ after: Date; stored: Set<string> } | null> {
      if (vins?.length === 0) return null
      const only = vins ? sql`where v.vin in (${sql.join(vins)})` : sql``
      const { rows } = await sql<{ vin: string; ts: Date | string }>`
        select v.vin, last.ts
        from vehicles v
        cross join lateral (
          select t.ts from telemetry_logs t where t.vehicle_id = v.id order by t.ts desc limit 1
        ) last
        ${only}`.execute(db)
      if (rows.length === 0) return null
      const times = rows.map((r) => ({ vin: r.vin, at: new Date(r.ts).getTime() }))
      const newest = times.reduce((max, t) => Math.max(max, t.at), Number.NEGATIVE_INFINITY)
      return {
        after: new Date(newest),
        stored: new Set(times.filter((t) => t.at === newest).map((t) => t.vin)),
      }
    },
  }
}

export type TelemetryRepository = ReturnType<typeof telemetryRepository>
