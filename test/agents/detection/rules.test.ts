import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DataAnalysisAgent } from '../../../src/agents/detection/data-agent.js'
import {
  DEFAULT_RULES,
  loadRules,
  parseRules,
  RuleSchema,
  RulesValidationError,
  validateRules,
} from '../../../src/agents/detection/rules.js'
import { BUILTIN_ANOMALY_TYPES } from '../../../src/schemas/analysis.js'

const dir = mkdtempSync(join(tmpdir(), 'autonoma-rules-'))
function writeJson(name: string, content: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

function thrown(fn: () => unknown): RulesValidationError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(RulesValidationError)
    return error as RulesValidationError
  }
  throw new Error('expected a RulesValidationError')
}

describe('rules table', () => {
  it('validates the default table, one rule per built-in anomaly type', () => {
    for (const rule of DEFAULT_RULES) expect(RuleSchema.safeParse(rule).success).toBe(true)
    const rules = loadRules()
    expect(rules.map((r) => r.type)).toEqual([...BUILTIN_ANOMALY_TYPES])
    expect(rules.find((r) => r.type === 'battery_thermal')).toMatchObject({
      signal: 'battery_temperature',
      direction: 'above',
      threshold: 45,
      critical: 55,
      clear: 42,
      label: 'High Battery Temp',
      component: 'battery',
    })
    expect(loadRules('')).toEqual(rules)
  })

  it('applies an override file that changes a threshold', () => {
    const path = writeJson('override.json', {
      rules: [{ type: 'battery_thermal', threshold: 47, clear: 44 }],
    })
    const rules = loadRules(path)
    expect(rules.find((r) => r.type === 'battery_thermal')).toMatchObject({
      threshold: 47,
      clear: 44,
      critical: 55,
    })
    const agent = new DataAnalysisAgent(rules)
    const reading = { vin: 'V1', timestamp: '2025-01-01T00:00:00Z', battery_temperature: 46 } as never
    expect(agent.analyze(reading, agent.createHistory()).anomaly_detected).toBe(false)
    expect(
      new DataAnalysisAgent().analyze(reading, new DataAnalysisAgent().createHistory()).anomaly_detected,
    ).toBe(true)
  })

  it('extends the table with a new rule and disables one (bare array form)', () => {
    const path = writeJson('extend.json', [
      {
        type: 'tire_overheat',
        label: 'Hot Tires',
        component: 'tires',
        signal: 'tire_temperature',
        direction: 'above',
        threshold: 80,
        critical: 100,
        clear: 70,
      },
      { type: 'brake_wear', enabled: false },
    ])
    const rules = loadRules(path)
    expect(rules.map((r) => r.type)).toContain('tire_overheat')
    expect(rules.map((r) => r.type)).not.toContain('brake_wear')
    const agent = new DataAnalysisAgent(rules)
    const result = agent.analyze(
      { vin: 'V1', timestamp: '2025-01-01T00:00:00Z', tire_temperature: 85, brake_pad_wear: 0.99 } as never,
      agent.createHistory(),
    )
    expect(result.anomalies.map((a) => a.type)).toEqual(['tire_overheat'])
  })

  it('rejects an invalid file listing every problem', () => {
    const path = writeJson('bad.json', {
      rules: [
        { type: 'battery_thermal', clear: 50 },
        { type: 'motor_bearing', critical: 1.8 },
        {
          type: 'cabin_heat',
          label: 'Hot Cabin',
          component: 'cabin',
          signal: 'cabin_temperature',
          direction: 'above',
          threshold: 40,
          critical: 50,
          clear: 35,
        },
        { type: 'tire_pressure', clear: 25 },
      ],
    })
    const error = thrown(() => loadRules(path))
    expect(error.issues).toHaveLength(4)
    expect(error.message).toContain(path)
    expect(error.message).toMatch(/battery_thermal.*clear level 50 must be below threshold 45/)
    expect(error.message).toMatch(/motor_bearing.*critical level 1.8 must be above threshold 2/)
    expect(error.message).toMatch(/cabin_heat.*signal: unknown signal name/)
    expect(error.message).toMatch(/tire_pressure.*clear level 25 must be above threshold 28/)
  })

  it('reports structural problems, duplicates and unknown fields together', () => {
    const error = thrown(() =>
      validateRules([
        { ...DEFAULT_RULES[0], threshold: 'hot', thresold: 3 },
        { ...DEFAULT_RULES[0] },
        { ...DEFAULT_RULES[1], direction: 'sideways', drift_signals: [{ signal: 'soh', min_deviation: -1 }] },
      ]),
    )
    const text = error.issues.join('\n')
    expect(text).toMatch(/rules\[0\].*threshold/)
    expect(text).toMatch(/rules\[0\].*thresold/)
    expect(text).toMatch(/rules\[1\].*duplicate anomaly type 'battery_thermal'/)
    expect(text).toMatch(/rules\[2\].*direction/)
    expect(text).toMatch(/rules\[2\].*drift_signals\.0\.min_deviation/)
  })

  it('rejects unreadable files, bad JSON and wrong shapes clearly', () => {
    expect(thrown(() => loadRules(join(dir, 'missing.json'))).message).toMatch(/cannot read file/)
    expect(thrown(() => loadRules(writeJson('broken.json', '{ nope'))).message).toMatch(/not valid JSON/)
    expect(thrown(() => parseRules({ thresholds: [] })).message).toMatch(/expected an array of rules/)
    expect(thrown(() => parseRules([{ label: 'no type' }])).message).toMatch(/missing "type"/)
  })

  it('rejects a new rule that is incomplete', () => {
    const error = thrown(() => parseRules([{ type: 'new_thing', signal: 'soc' }]))
    const text = error.issues.join('\n')
    for (const field of ['label', 'component', 'direction', 'threshold', 'critical', 'clear']) {
      expect(text).toContain(field)
    }
  })
})

describe('the data-quality alarm type', () => {
  it('is not available to a rule', () => {
    expect(() => parseRules([{ ...DEFAULT_RULES[0], type: 'data_quality', label: 'Bad data' }])).toThrow(
      /'data_quality' is the data-quality alarm's type/,
    )
  })
})
