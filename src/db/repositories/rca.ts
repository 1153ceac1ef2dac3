import { sql } from 'kysely'
import type { Db } from '../client.js'
import type { ManufacturingInsight } from '../schema.js'

/** One batch's share of a failure: its vehicles, how many of them had it, and how often. */
export interface BatchEvidence {
  batch: string
  vehicles: number
  affected_vehicles: number
  events: number
}

/** A root-cause finding to record: one insight per (component, pattern, batch). */
export interface InsightFinding {
  component: string
  pattern: string
  batch: string
  recommendation: string
  confidence: number
  events: number
  evidence: Record<string, unknown>
}

/** The fleet-wide queries of root-cause analysis. */
export function rcaRepository(db: Db) {
  return {
    /** Per manufacturing batch: vehicles, and how many had episodes of `anomalyType`. */
    async batchEvidence(anomalyType: string): Promise<BatchEvidence[]> {
      const rows = await sql<BatchEvidence>`
        with fleet as (
          select batch, count(*)::int as vehicles from vehicles where batch is not null group by batch
        ), hit as (
          select v.batch, count(distinct e.vehicle_id)::int as affected_vehicles, count(*)::int as events
          from anomaly_events e join vehicles v on v.id = e.vehicle_id
          where e.anomaly_type = ${anomalyType} and v.batch is not null
          group by v.batch
        )
        select f.batch, f.vehicles, coalesce(h.affected_vehicles, 0)::int as affected_vehicles,
               coalesce(h.events, 0)::int as events
        from fleet f left join hit h on h.batch = f.batch
        order by f.batch`.execute(db)
      return rows.rows
    },

    /**
     * Failures of this type on a vehicle of `batch` that repeat an episode a completed service
     * closed (the row's `repeat_of`, set when the episode opened): the fix did not hold.
     */
    async repeatsAfterService(anomalyType: string, batch: string): Promise<number> {
      const rows = await sql<{ n: number }>`
        select count(*)::int as n
        from anomaly_events e join vehicles v on v.id = e.vehicle_id
        where e.anomaly_type = ${anomalyType} and v.batch = ${batch}
          and e.repeat_of is not null`.execute(db)
      return rows.rows[0]?.n ?? 0
    },

    /** Writes the finding, or updates the one insight of that pattern and batch as evidence grows. */
    async upsertInsight(f: InsightFinding): Promise<ManufacturingInsight> {
      const rows = await sql<ManufacturingInsight>`
        insert into manufacturing_insights
          (component_name, failure_pattern, affected_batch, recommendation, confidence_score, evidence, event_count)
        values (${f.component}, ${f.pattern}, ${f.batch}, ${f.recommendation}, ${f.confidence},
                ${JSON.stringify(f.evidence)}::jsonb, ${f.events})
        on conflict (component_name, failure_pattern, (coalesce(affected_batch, '')))
        do update set confidence_score = excluded.confidence_score, evidence = excluded.evidence,
                      event_count = excluded.event_count, recommendation = excluded.recommendation,
                      updated_at = now()
        returning *`.execute(db)
      return rows.rows[0]!
    },
  }
}

export type RcaRepository = ReturnType<typeof rcaRepository>
