import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { AnomalyTypeSchema } from '../schemas/analysis.js'
import { NUMERIC_FIELDS, type NumericField } from '../schemas/telemetry.js'

/**
 * The threshold rules table: one row per anomaly type. The defaults below can be overridden or
 * extended by a JSON file (`RULES_PATH`), see `loadRules`.
 */

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

export const DEFAULT_RULES: readonly Rule[] = [
  {
    type: 'battery_thermal',
    label: 'High Battery Temp',
    component: 'battery',
    signal: 'battery_temperature',
    direction: 'above',
    threshold: 45,
    critical: 55,
    clear: 42,
    valid_min: -60,
    valid_max: 150,
    drift_signals: [
      // Driving and charging heat the pack for hours: its unexplained heat is the early warning, the raw
      // temperature only counts as drift once it has stayed up for a whole day.
      { signal: 'battery_temperature', min_deviation: 5, sustain: 96 },
      {
        signal: 'battery_temperature',
        min_deviation: 5,
        explained_by: [
          { signal: 'ambient_temperature', valid_min: -60, valid_max: 70 },
          { signal: 'battery_current', magnitude: true, valid_min: -2000, valid_max: 2000 },
        ],
      },
    ],
  },
  {
    type: 'motor_bearing',
    label: 'High Motor Vibration',
    component: 'motor',
    signal: 'motor_vibration',
    direction: 'above',
    threshold: 2.0,
    critical: 3.0,
    clear: 1.5,
    valid_min: 0,
    valid_max: 50,
    // A bearing only vibrates while it turns: a parked reading says nothing, so it neither clears the
    // alarm nor teaches the baseline that 0.2 g is normal.
    measured_when: { signal: 'motor_rpm', min: 100 },
    drift_signals: [{ signal: 'motor_vibration', min_deviation: 0.4 }],
  },
  {
    type: 'motor_overheat',
    label: 'Motor Overheating',
    component: 'motor',
    signal: 'motor_temperature',
    direction: 'above',
    threshold: 100,
    critical: 120,
    clear: 90,
    valid_min: -60,
    valid_max: 300,
    // Parked near ambient, 60-75 C on a drive: drift is judged among driving readings only (the
    // threshold still applies to every reading).
    drift_signals: [
      { signal: 'motor_temperature', min_deviation: 10, measured_when: { signal: 'motor_rpm', min: 100 } },
    ],
  },
  {
    type: 'tire_pressure',
    label: 'Low Tire Pressure',
    component: 'tires',
    signal: 'tire_pressure',
    direction: 'below',
    threshold: 28,
    critical: 22,
    clear: 30,
    valid_min: 0,
    valid_max: 150,
    drift_signals: [{ signal: 'tire_pressure', min_deviation: 2 }],
  },
  {
    type: 'brake_wear',
    label: 'Brake Pads Worn',
    component: 'brakes',
    signal: 'brake_pad_wear',
    direction: 'above',
    threshold: 0.8,
    critical: 0.92,
    clear: 0.75,
    valid_min: 0,
    valid_max: 1,
    drift_signals: [{ signal: 'brake_pad_wear', min_deviation: 0.05 }],
  },
  {
    type: 'battery_degradation',
    label: 'Battery Degradation',
    component: 'battery',
    signal: 'soh',
    direction: 'below',
    threshold: 0.7,
    critical: 0.6,
    clear: 0.72,
    valid_min: 0,
    valid_max: 1.2,
    drift_signals: [{ signal: 'soh', min_deviation: 0.03 }],
  },
]

export class RulesValidationError extends Error {
  readonly issues: readonly string[]
  constructor(source: string, issues: readonly string[]) {
    super(
      `Invalid rules (${source}), ${issues.length} problem(s):\n${issues.map((i) => `  - ${i}`).join('\n')}`,
    )
    this.name = 'RulesValidationError'
    this.issues = issues
  }
}

/** Checks the numeric ordering of whatever threshold fields are numbers, so it still reports when other fields are broken. */
function consistencyIssues(raw: Record<string, unknown>, where: string): string[] {
  const issues: string[] = []
  const { direction, threshold, critical, clear, valid_min, valid_max } = raw
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
  if (direction === 'above' || direction === 'below') {
    const above = direction === 'above'
    const safeWord = above ? 'below' : 'above'
    if (num(threshold) && num(clear) && (above ? clear >= threshold : clear <= threshold)) {
      issues.push(
        `${where}: clear level ${clear} must be ${safeWord} threshold ${threshold} (direction '${direction}')`,
      )
    }
    if (num(threshold) && num(critical) && (above ? critical <= threshold : critical >= threshold)) {
      issues.push(
        `${where}: critical level ${critical} must be ${above ? 'above' : 'below'} threshold ${threshold} (direction '${direction}')`,
      )
    }
  }
  if (num(valid_min) && num(valid_max) && valid_min >= valid_max) {
    issues.push(`${where}: valid_min ${valid_min} must be below valid_max ${valid_max}`)
  }
  for (const key of ['threshold', 'critical', 'clear'] as const) {
    const v = raw[key]
    if (num(v) && ((num(valid_min) && v < valid_min) || (num(valid_max) && v > valid_max))) {
      issues.push(
        `${where}: ${key} ${v} lies outside the valid range [${valid_min ?? '-inf'}, ${valid_max ?? 'inf'}]`,
      )
    }
  }
  return issues
}

function describeZodIssue(issue: z.core.$ZodIssue, where: string): string {
  const path = issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : ''
  if (issue.code === 'custom' && issue.message === 'unknown signal name') {
    return `${where}${path}: unknown signal name (expected one of the telemetry fields, e.g. battery_temperature)`
  }
  return `${where}${path}: ${issue.message}`
}

/**
 * Validates a complete table; collects every problem before throwing one `RulesValidationError`.
 * Rules with `enabled: false` are validated but dropped from the returned table.
 */
export function validateRules(input: unknown, source = 'rules', locations?: readonly string[]): Rule[] {
  if (!Array.isArray(input)) throw new RulesValidationError(source, ['expected an array of rules'])
  const issues: string[] = []
  const rules: Rule[] = []
  const seen = new Set<string>()
  input.forEach((raw, i) => {
    const name = raw && typeof raw === 'object' && typeof raw.type === 'string' ? ` (${raw.type})` : ''
    const where = `${locations?.[i] ?? `rules[${i}]`}${name}`
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      issues.push(`${where}: expected an object`)
      return
    }
    const parsed = RuleSchema.safeParse(raw)
    if (!parsed.success) for (const issue of parsed.error.issues) issues.push(describeZodIssue(issue, where))
    issues.push(...consistencyIssues(raw as Record<string, unknown>, where))
    if (typeof raw.type === 'string') {
      if (seen.has(raw.type)) issues.push(`${where}: duplicate anomaly type '${raw.type}'`)
      seen.add(raw.type)
    }
    if (parsed.success && parsed.data.enabled !== false) rules.push(parsed.data)
  })
  if (issues.length > 0) throw new RulesValidationError(source, issues)
  return rules
}

/**
 * Applies an override document to the defaults. Accepted shapes: an array of rule entries or
 * `{ "rules": [...] }`. An entry whose `type` names a default rule is merged over it field by field
 * (so `{ "type": "battery_thermal", "threshold": 47 }` is enough); any other type is a new rule and
 * must be complete. `"enabled": false` removes a rule.
 */
export function parseRules(overrides: unknown, source = 'rules override'): Rule[] {
  const list = Array.isArray(overrides)
    ? overrides
    : overrides && typeof overrides === 'object' && Array.isArray((overrides as { rules?: unknown }).rules)
      ? (overrides as { rules: unknown[] }).rules
      : undefined
  if (!list)
    throw new RulesValidationError(source, ['expected an array of rules or an object with a "rules" array'])
  const merged: unknown[] = DEFAULT_RULES.map((rule) => ({ ...rule }))
  // Issues name the entry of the override document, not the position in the merged table.
  const locations: string[] = DEFAULT_RULES.map((_, i) => `defaults[${i}]`)
  const issues: string[] = []
  list.forEach((entry, i) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push(`rules[${i}]: expected an object`)
      return
    }
    const type = (entry as { type?: unknown }).type
    if (typeof type !== 'string') {
      issues.push(`rules[${i}]: missing "type"`)
      return
    }
    const at = merged.findIndex((rule) => (rule as { type: string }).type === type)
    if (at >= 0) {
      merged[at] = { ...(merged[at] as object), ...entry }
      locations[at] = `rules[${i}]`
    } else {
      merged.push(entry)
      locations.push(`rules[${i}]`)
    }
  })
  if (issues.length > 0) {
    // Report the structural problems together with whatever the merged table also gets wrong.
    try {
      validateRules(merged, source, locations)
    } catch (error) {
      if (error instanceof RulesValidationError) issues.push(...error.issues)
    }
    throw new RulesValidationError(source, issues)
  }
  return validateRules(merged, source, locations)
}

/**
 * The rules table: the defaults, or the defaults with the JSON file at `path` applied (see
 * `parseRules` for the file format). Throws a `RulesValidationError` listing every problem.
 */
export function loadRules(path?: string): Rule[] {
  if (path === undefined || path.trim() === '') return validateRules(DEFAULT_RULES, 'defaults')
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new RulesValidationError(path, [`cannot read file: ${(error as Error).message}`])
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new RulesValidationError(path, [`not valid JSON: ${(error as Error).message}`])
  }
  return parseRules(json, path)
}
