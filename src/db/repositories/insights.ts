import type { InsightStatus } from '../../domain.js'
import type { Db } from '../client.js'
import type { InsightNote, ManufacturingInsight } from '../schema.js'

export interface InsightFilter {
  component?: string
  batch?: string
  status?: InsightStatus
  from?: string
  to?: string
  limit?: number
}

/** A note in an insight's workflow, with the name of who wrote it. */
export type InsightNoteView = InsightNote & { user_name: string | null; user_email: string | null }

export function insightsRepository(db: Db) {
  return {
    /** The spec's `create_manufacturing_insight(component, pattern, batch, recommendation)`. */
    createManufacturingInsight(
      component: string,
      pattern: string,
      batch: string | null,
      recommendation: string | null,
      confidence: number | null = null,
    ): Promise<ManufacturingInsight> {
      return db
        .insertInto('manufacturing_insights')
        .values({
          component_name: component,
          failure_pattern: pattern,
          affected_batch: batch,
          recommendation,
          confidence_score: confidence,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
    },

    /** Newest first, as the manufacturing dashboard lists them. */
    listInsights(filter: InsightFilter = {}): Promise<ManufacturingInsight[]> {
      let q = db.selectFrom('manufacturing_insights').selectAll()
      if (filter.component) q = q.where('component_name', '=', filter.component)
      if (filter.batch) q = q.where('affected_batch', '=', filter.batch)
      if (filter.status) q = q.where('status', '=', filter.status)
      if (filter.from) q = q.where('created_at', '>=', new Date(filter.from))
      if (filter.to) q = q.where('created_at', '<', new Date(filter.to))
      return q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit ?? 100)
        .execute()
    },

    getById(id: string): Promise<ManufacturingInsight | undefined> {
      return db.selectFrom('manufacturing_insights').selectAll().where('id', '=', id).executeTakeFirst()
    },

    /**
     * Moves an insight to `status` (or keeps it, for a note alone) and writes the note row, in one
     * transaction that locks the insight: two engineers changing it at once are told apart in order.
     * Undefined when there is no such insight.
     */
    async changeStatus(
      id: string,
      change: { status: InsightStatus; note: string | null; userId: string },
    ): Promise<{ insight: ManufacturingInsight; note: InsightNote } | undefined> {
      return db.transaction().execute(async (trx) => {
        const current = await trx
          .selectFrom('manufacturing_insights')
          .select('status')
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst()
        if (!current) return undefined
        const moved = current.status !== change.status
        const insight = moved
          ? await trx
              .updateTable('manufacturing_insights')
              .set({ status: change.status, status_changed_at: new Date(), status_changed_by: change.userId })
              .where('id', '=', id)
              .returningAll()
              .executeTakeFirstOrThrow()
          : await trx
              .selectFrom('manufacturing_insights')
              .selectAll()
              .where('id', '=', id)
              .executeTakeFirstOrThrow()
        const note = await trx
          .insertInto('insight_notes')
          .values({
            insight_id: id,
            user_id: change.userId,
            from_status: current.status,
            to_status: change.status,
            note: change.note,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        return { insight, note }
      })
    },

    /** An insight's workflow, oldest first, with who wrote each step. */
    listNotes(insightId: string): Promise<InsightNoteView[]> {
      return db
        .selectFrom('insight_notes as n')
        .leftJoin('users as u', 'u.id', 'n.user_id')
        .selectAll('n')
        .select(['u.name as user_name', 'u.email as user_email'])
        .where('n.insight_id', '=', insightId)
        .orderBy('n.created_at')
        .orderBy('n.id')
        .execute()
    },

    /** The newest note of each of these insights (for the export's flat columns). */
    async latestNotes(ids: readonly string[]): Promise<Map<string, InsightNoteView>> {
      if (ids.length === 0) return new Map()
      const rows = await db
        .selectFrom('insight_notes as n')
        .leftJoin('users as u', 'u.id', 'n.user_id')
        .selectAll('n')
        .select(['u.name as user_name', 'u.email as user_email'])
        .distinctOn('n.insight_id')
        .where('n.insight_id', 'in', ids)
        .orderBy('n.insight_id')
        .orderBy('n.created_at', 'desc')
        .orderBy('n.id', 'desc')
        .execute()
      return new Map(rows.map((r) => [r.insight_id, r]))
    },
  }
}

export type InsightsRepository = ReturnType<typeof insightsRepository>
