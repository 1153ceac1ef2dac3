import { sql } from 'kysely'
import type { Db } from '../client.js'

/** A run of a live replay (the simulation's `ReplaySegment`, which this layer cannot import). */
export interface ReplaySegmentRow {
  firstStep: number
  startedAt: Date
  paceMs: number
}

interface SegmentRow {
  first_step: string | number
  started_at: Date | string
  pace_ms: number
}

/** Where a live replay keeps its runs (`replay_segments`), one ledger per replayed file. */
export function replaySegmentsRepository(db: Db) {
  return {
    ledger(source: string) {
      return {
        async segmentAt(at: Date): Promise<ReplaySegmentRow | null> {
          const { rows } = await sql<SegmentRow>`
            select first_step, started_at, pace_ms from replay_segments
            where source = ${source} and started_at <= ${at}
            order by started_at desc limit 1`.execute(db)
          const row = rows[0]
          if (!row) return null
          return {
            firstStep: Number(row.first_step),
            startedAt: new Date(row.started_at),
            paceMs: Number(row.pace_ms),
          }
        },
        async begin(segment: ReplaySegmentRow): Promise<void> {
          await sql`
            insert into replay_segments (source, started_at, first_step, pace_ms)
            values (${source}, ${segment.startedAt}, ${segment.firstStep}, ${segment.paceMs})
            on conflict (source, started_at) do nothing`.execute(db)
        },
      }
    },
  }
}
