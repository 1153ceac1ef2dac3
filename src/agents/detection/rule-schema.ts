/**
 * The schema of a threshold rule (one row of the rules table, see `rules.ts`). Split from `rules.ts`
 * to keep files small; `rules.ts` re-exports the public parts.
 */
import { z } from 'zod'
import { AnomalyTypeSchema } from '../../schemas/analysis.js'
import { NUMERIC_FIELDS, type NumericField } from '../../schemas/telemetry.js'

const NumericFieldSchema = z.custom<NumericField>(
  (value) => typeof value === 'string' && NUMERIC_FIELDS.includes(value),
  { message: 'unknown signal name' },
)
const DirectionSchema = z.enum(['above', 'below'])
export type Direction = z.infer<typeof DirectionSchema>
const finite = z.number().finite()

/**
 * When a signal means something: readings whose `signal` lies outside [min, max] are treated as not
 * measuring it (e.g. motor vibration only while the motor turns). A reading without a usable value
 * of `signal` meets the condition: without context, the measurement is taken as it is.
 */
export const ConditionSchema = z
  .strictObject({ signal: NumericFieldSchema, min: finite.optional(), max: finite.optional() })
  .refine((c) => c.min !== undefined || c.max !== undefined, { message: 'needs min or max' })
  .refine((c) => c.min === undefined || c.max === undefined || c.min < c.max, {
    message: 'min must be below max',
  })
export type Condition = z.infer<typeof ConditionSchema>

/** A signal the z-score drift check watches for a rule, and the minimum deviation that counts. */
export const DriftSignalSchema = z.strictObject({
  signal: NumericFieldSchema,
  /** Which way is bad; defaults to the rule's direction. */
  direction: DirectionSchema.optional(),
  /**
   * Minimum absolute distance from the vehicle's baseline before a z-score counts, in the signal's
   * unit. This is what keeps normal daily cycles on very steady signals from alarming.
   */
  min_deviation: finite.positive(),
  /**
   * Consecutive drift readings before the drift is reported (default: the agent's drift setting, 4).
   * Set it above the length of the signal's normal excursions (a charging session, a long drive).
   */
  sustain: z.number().int().min(1).max(672).optional(),
  /** Only readings meeting this condition feed this signal's baseline and drift check. */
  measured_when: ConditionSchema.optional(),
  /**
   * Signals that drive this one (e.g. ambient temperature and the battery current heat the pack). The
   * drift check then watches what they do not explain: the value minus what a per-vehicle lag model
   * of them expects (see `LagModel`), so that heat from driving and charging is not taken for drift.
   * `magnitude` uses the absolute value (heat does not care about the current's sign); values outside
   * [valid_min, valid_max] are glitches (the reading is then not judged on this watch).
   */
  explained_by: z
    .array(
      z
        .strictObject({
          signal: NumericFieldSchema,
          magnitude: z.boolean().optional(),
          valid_min: finite.optional(),
          valid_max: finite.optional(),
        })
        .refine((c) => c.valid_min === undefined || c.valid_max === undefined || c.valid_min < c.valid_max, {
          message: 'valid_min must be below valid_max',
        }),
    )
    .min(1)
    .max(4)
    .optional(),
})
export type DriftSignal = z.infer<typeof DriftSignalSchema>

export const RuleSchema = z.strictObject({
  type: AnomalyTypeSchema,
  label: z.string().min(1).max(80),
  component: z.string().min(1).max(40),
  signal: NumericFieldSchema,
  direction: DirectionSchema,
  /** Beyond this the anomaly is High. */
  threshold: finite,
  /** Beyond this the anomaly is Critical. */
  critical: finite,
  /**
   * The component's end of life, beyond the critical level (brake pads fully worn): the last level a
   * remaining-useful-life estimate counts down to. Absent: the critical level is the last.
   */
  end_of_life: finite.optional(),
  /**
   * How the remaining useful life is fitted. `model`: 'linear' (default) or 'exponential' where the
   * physics compounds (a bearing's vibration grows with its damage): the trend is then fitted on the
   * logarithm. `period_hours`: a cycle the signal follows (wear accrues only while driving, so it
   * climbs by day and stands still by night): only points at least one period apart are compared,
   * on windows of at least two periods, so that neither a drive nor a night reads as the rate.
   */
  rul: z
    .strictObject({
      model: z.enum(['linear', 'exponential']).optional(),
      period_hours: z.number().positive().max(720).optional(),
    })
    .optional(),
  /** The anomaly clears once the value is back on the safe side of this level for N readings. */
  clear: finite,
  /** Values outside this range are treated as sensor faults and ignored. */
  valid_min: finite.optional(),
  valid_max: finite.optional(),
  /**
   * Only readings meeting this condition measure the rule's signal; the others count as readings
   * without a value (they neither raise nor clear the type, nor feed its drift baseline).
   */
  measured_when: ConditionSchema.optional(),
  /** Signals the drift check watches for this type; absent or empty means no drift check. */
  drift_signals: z.array(DriftSignalSchema).max(8).optional(),
  enabled: z.boolean().optional(),
})
export type Rule = z.infer<typeof RuleSchema>
