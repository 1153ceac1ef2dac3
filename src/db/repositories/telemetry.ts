import { sql } from 'kysely'
import type { Db } from '../client.js'

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
  }
}
