import type { Db } from '../client.js'
import type { ManufacturingInsight } from '../schema.js'

export interface InsightFilter {
  component?: string
  batch?: string
  from?: string
  to?: string
  limit?: number
}

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
      if (filter.from) q = q.where('created_at', '>=', new Date(filter.from))
      if (filter.to) q = q.where('created_at', '<', new Date(filter.to))
      return q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit ?? 100)
        .execute()
    },
  }
}

export type InsightsRepository = ReturnType<typeof insightsRepository>
