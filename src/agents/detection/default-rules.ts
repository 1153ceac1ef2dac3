/**
 * The default rules table: one row per anomaly type. Split from `rules.ts` to keep files small;
 * `rules.ts` re-exports `DEFAULT_RULES` and applies overrides to it (see `loadRules`).
 */
import { SIGNAL_RANGES } from '../../schemas/signal-ranges.js'
import type { NumericField } from '../../schemas/telemetry.js'
import type { Rule } from './rule-schema.js'

/** A signal's physical plausibility range (`schemas/signal-ranges.ts`) as a rule's valid range. */
const plausible = (signal: NumericField) => ({
  valid_min: SIGNAL_RANGES[signal].min,
  valid_max: SIGNAL_RANGES[signal].max,
})

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
    ...plausible('battery_temperature'),
    drift_signals: [
      // Driving and charging heat the pack for hours: its unexplained heat is the early warning, the raw
      // temperature only counts as drift once it has stayed up for a whole day.
      { signal: 'battery_temperature', min_deviation: 5, sustain: 96 },
      {
        signal: 'battery_temperature',
        min_deviation: 5,
        explained_by: [
          { signal: 'ambient_temperature', ...plausible('ambient_temperature') },
          { signal: 'battery_current', magnitude: true, ...plausible('battery_current') },
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
    rul: { model: 'exponential' },
    ...plausible('motor_vibration'),
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
    ...plausible('motor_temperature'),
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
    ...plausible('tire_pressure'),
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
    end_of_life: 1.0,
    clear: 0.75,
    rul: { period_hours: 24 },
    ...plausible('brake_pad_wear'),
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
    rul: { period_hours: 24 },
    ...plausible('soh'),
    drift_signals: [{ signal: 'soh', min_deviation: 0.03 }],
  },
]
