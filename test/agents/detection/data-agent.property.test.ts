import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DataAnalysisAgent } from '../../../src/agents/detection/data-agent.js'
import { AnalysisResultSchema } from '../../../src/schemas/analysis.js'
import { NUMERIC_FIELDS, type TelemetryReading } from '../../../src/schemas/telemetry.js'

// Realistic-range values are mixed in so that sequences actually activate, hold and clear anomalies.
const anyValue = fc.oneof(
  fc.double(),
  fc.double({ min: -10, max: 150, noNaN: true }),
  fc.double({ min: 0, max: 1.2, noNaN: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308, -1e308, 5e-324),
)

const fieldsArb = Object.fromEntries(NUMERIC_FIELDS.map((f) => [f, anyValue]))
const readingArb = fc.record(
  {
    vin: fc.constantFrom('VIN00000000000001', 'VIN00000000000001', 'VIN00000000000002'),
    timestamp: fc.oneof(
      fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.string(),
    ),
    ...fieldsArb,
  },
  { requiredKeys: [] },
) as fc.Arbitrary<TelemetryReading>

describe('DataAnalysisAgent properties', () => {
  const agent = new DataAnalysisAgent(undefined, { drift: { warmup: 5, consecutive: 2 } })
  const defaults = new DataAnalysisAgent()

  it('never throws and always returns a schema-valid result', () => {
    fc.assert(
      fc.property(fc.array(readingArb, { maxLength: 40 }), readingArb, (previous, reading) => {
        for (const a of [agent, defaults]) {
          const history = a.createHistory()
          for (const p of previous) {
            const r = a.analyze(p, history)
            expect(AnalysisResultSchema.safeParse(r).success).toBe(true)
          }
          const result = a.analyze(reading, history)
          const parsed = AnalysisResultSchema.safeParse(result)
          if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues))
          // The per-reading analysis fits no trend: the episode manager estimates the RUL.
          expect(result.rul).toBeNull()
          expect(result.anomaly_score).toBeGreaterThanOrEqual(0)
          expect(result.anomaly_score).toBeLessThanOrEqual(1)
          expect(result.anomaly_detected).toBe(result.anomalies.length > 0)
          expect(result.anomaly_type).toBe(result.anomalies[0]?.type ?? null)
        }
      }),
      { numRuns: 300 },
    )
    // The defensive catch in `analyze` must not have been what kept it from throwing.
    expect(agent.internalErrors + defaults.internalErrors).toBe(0)
  })

  it('keeps garbage out of the baselines: non-finite readings leave the learned state unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300)),
        (bad) => {
          const history = defaults.createHistory()
          for (let i = 0; i < 30; i++) {
            defaults.analyze(
              { vin: 'V', timestamp: '2025-01-01T00:00:00Z', battery_temperature: 30 + (i % 3) } as never,
              history,
            )
          }
          const before = { ...history.baselines[0]! }
          for (const v of bad) {
            defaults.analyze(
              { vin: 'V', timestamp: '2025-01-01T00:00:00Z', battery_temperature: v } as never,
              history,
            )
          }
          const after = history.baselines[0]!
          expect([after.n, after.mean, after.variance]).toEqual([before.n, before.mean, before.variance])
        },
      ),
      { numRuns: 50 },
    )
  })

  it('tolerates inputs outside the type (null reading, foreign history)', () => {
    expect(AnalysisResultSchema.safeParse(agent.analyze(null as never, agent.createHistory())).success).toBe(
      true,
    )
    expect(AnalysisResultSchema.safeParse(agent.analyze({} as never, undefined as never)).success).toBe(true)
    const foreign = defaults.createHistory()
    const r = agent.analyze({ vin: 'V', timestamp: 'x', battery_temperature: 50 } as never, foreign)
    expect(r.anomaly_type).toBe('battery_thermal')
    expect(agent.internalErrors).toBe(0)
  })
})
