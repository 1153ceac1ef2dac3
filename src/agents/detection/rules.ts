import { readFileSync } from 'node:fs'
import type { z } from 'zod'
import { DATA_QUALITY_ALARM } from '../../domain.js'
import { DEFAULT_RULES } from './default-rules.js'
import { type Rule, RuleSchema } from './rule-schema.js'

/**
 * The threshold rules table: one row per anomaly type. The defaults (`default-rules.ts`) can be
 * overridden or extended by a JSON file (`RULES_PATH`), see `loadRules`.
 */

// The schema and the defaults live in their own modules; re-exported so existing importers keep working.
export { DEFAULT_RULES } from './default-rules.js'
export {
  type Condition,
  ConditionSchema,
  type Direction,
  type DriftSignal,
  DriftSignalSchema,
  type Rule,
  RuleSchema,
} from './rule-schema.js'

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
  const { direction, threshold, critical, clear, valid_min, valid_max, end_of_life } = raw
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
    if (num(critical) && num(end_of_life) && (above ? end_of_life < critical : end_of_life > critical)) {
      issues.push(`${where}: end_of_life ${end_of_life} must not be ${safeWord} critical level ${critical}`)
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
      if (raw.type === DATA_QUALITY_ALARM)
        issues.push(`${where}: '${DATA_QUALITY_ALARM}' is the data-quality alarm's type, not a rule's`)
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
