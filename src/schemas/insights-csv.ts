import { stringify } from 'csv-stringify/sync'
import type { z } from 'zod'
import type { InsightSchema } from './insights.js'

type Insight = z.infer<typeof InsightSchema>
type Scalar = string | number | boolean | null

/** The newest workflow note of an insight, as the export shows it. */
export interface LatestNote {
  note: string | null
  user_name: string | null
  created_at: string
}

const FIXED = [
  'id',
  'status',
  'component_name',
  'failure_pattern',
  'affected_batch',
  'recommendation',
  'confidence_score',
  'event_count',
  'created_at',
  'updated_at',
  'status_changed_at',
  'last_note',
  'last_note_by',
  'last_note_at',
] as const

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A list of records as one readable cell: `batch B-2025-01, vehicles 4; batch B-2024-11, vehicles 3`. */
function listText(list: unknown[]): string {
  return list
    .map((item) =>
      isRecord(item)
        ? Object.entries(item)
            .map(
              ([k, v]) =>
                `${k.replaceAll('_', ' ')} ${isRecord(v) || Array.isArray(v) ? listText([v].flat()) : v}`,
            )
            .join(', ')
        : String(item),
    )
    .join('; ')
}

/** The evidence's fields as `evidence_<path>` columns: scalars as they are, lists as text. */
function flatten(value: Record<string, unknown>, prefix = 'evidence_'): Record<string, Scalar> {
  const out: Record<string, Scalar> = {}
  for (const [k, v] of Object.entries(value)) {
    const key = `${prefix}${k}`
    if (isRecord(v)) Object.assign(out, flatten(v, `${key}.`))
    else if (Array.isArray(v)) out[key] = listText(v)
    else out[key] = (v ?? null) as Scalar
  }
  return out
}

/** A spreadsheet would run a cell starting with these as a formula: such text is quoted with `'`. */
const FORMULA = /^[=+\-@\t\r]/
const cell = (v: Scalar | undefined) =>
  v === null || v === undefined ? '' : typeof v === 'string' && FORMULA.test(v) ? `'${v}` : v

/**
 * The insights as CSV with one value per cell: the workflow's current state and newest note, and
 * the RCA evidence spread over `evidence_*` columns (the union over the exported rows), never a
 * JSON cell.
 */
export function insightsCsv(rows: readonly Insight[], notes: ReadonlyMap<string, LatestNote>): string {
  const flat = rows.map((r) => flatten(r.evidence))
  const evidenceColumns = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort()
  const columns = [...FIXED, ...evidenceColumns]
  const records = rows.map((r, i) => {
    const note = notes.get(r.id)
    const fixed: Record<(typeof FIXED)[number], Scalar> = {
      id: r.id,
      status: r.status,
      component_name: r.component_name,
      failure_pattern: r.failure_pattern,
      affected_batch: r.affected_batch,
      recommendation: r.recommendation,
      confidence_score: r.confidence_score,
      event_count: r.event_count,
      created_at: r.created_at,
      updated_at: r.updated_at,
      status_changed_at: r.status_changed_at,
      last_note: note?.note ?? null,
      last_note_by: note?.user_name ?? null,
      last_note_at: note?.created_at ?? null,
    }
    const all: Record<string, Scalar> = { ...fixed, ...flat[i] }
    return columns.map((c) => cell(all[c]))
  })
  return stringify(records, { header: true, columns, quoted_string: true })
}

/** What the export applied, for its file name and header: `all`, or `component-battery_batch-B-2025-01`. */
export function filterLabel(filter: Record<string, string | undefined>): string {
  const parts = Object.entries(filter)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}-${v!.replace(/[^A-Za-z0-9_.-]+/g, '_')}`)
  return parts.length ? parts.join('_') : 'all'
}
