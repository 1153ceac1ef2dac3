import { sql } from 'kysely'
import type { Db } from '../client.js'
import { json } from '../client.js'
import type { UebaEntitiesTable } from '../schema.js'

/** One entity's analytics as stored: `model` holds its baselines and first-seen sets. */
export interface UebaEntityRow {
  id: string
  kind: UebaEntitiesTable['kind']
  label: string
  state: UebaEntitiesTable['state']
  score: number
  score_at: Date
  reasons: unknown[]
  model: Record<string, unknown>
  events: number | string
  first_seen: Date
  last_seen: Date
  released_at: Date | null
  released_by: string | null
}

/** Rows per INSERT: a few hundred keeps each statement's parameters well under the limit. */
const CHUNK = 200

export function uebaEntitiesRepository(db: Db) {
  return {
    async loadAll(): Promise<UebaEntityRow[]> {
      const rows = await db.selectFrom('ueba_entities').selectAll().execute()
      return rows.map(({ updated_at: _u, ...r }) => r)
    },

    /** Upserts `rows` (whole rows: the analytics in memory is the source of truth). */
    async save(rows: readonly UebaEntityRow[]): Promise<void> {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK).map((r) => ({
          ...r,
          events: String(r.events),
          reasons: json(r.reasons),
          model: json(r.model),
        }))
        await db
          .insertInto('ueba_entities')
          .values(chunk)
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              label: eb.ref('excluded.label'),
              state: eb.ref('excluded.state'),
              score: eb.ref('excluded.score'),
              score_at: eb.ref('excluded.score_at'),
              reasons: eb.ref('excluded.reasons'),
              model: eb.ref('excluded.model'),
              events: eb.ref('excluded.events'),
              last_seen: eb.ref('excluded.last_seen'),
              released_at: eb.ref('excluded.released_at'),
              released_by: eb.ref('excluded.released_by'),
              updated_at: sql`now()`,
            })),
          )
          .execute()
      }
    },
  }
}
