import { isSeverity, maxSeverity, type Severity } from '../../domain.js'
import type { AnomalyType, Diagnosis, Signal } from '../../schemas/analysis.js'

/** One entry of the diagnosis knowledge base. */
export interface KnowledgeEntry {
  /** Short name, also the start of the customer message ("<title> detected"). */
  title: string
  component: string
  root_cause: string
  recommended_action: string
  /** What the owner should know and do, in plain words (used by the engagement agent). */
  owner_advice: string
  /** Used when the input carries no severity. */
  default_severity: Severity
  /** The knowledge base raises lower input severities to this. */
  min_severity: Severity
  /** Confidence before the evidence adjustment. */
  confidence: number
  /** Lower-case phrases that identify this entry in free text (labels, reasons, diagnosis titles). */
  phrases: readonly string[]
}

export const THERMAL_RUNAWAY = 'thermal_runaway'
export const UNCLASSIFIED = 'unclassified'

/** Keyed by anomaly type, plus the `thermal_runaway` combination and the `unclassified` fallback. */
export const KNOWLEDGE: Readonly<Record<string, KnowledgeEntry>> = {
  [THERMAL_RUNAWAY]: {
    title: 'Thermal runaway risk',
    component: 'battery',
    root_cause:
      'High pack temperature together with a voltage sag: likely an internal cell short or a failing cell ' +
      'heating itself, with the thermal management unable to keep up (e.g. under-applied thermal paste).',
    recommended_action:
      'Stop charging, park away from buildings and arrange immediate inspection of the battery pack; isolate the affected modules.',
    owner_advice:
      'Your battery is overheating and its voltage is dropping, which can become dangerous. Please stop charging, park the car outside and away from buildings, and do not drive it until it has been checked.',
    default_severity: 'Critical',
    min_severity: 'Critical',
    confidence: 0.9,
    phrases: ['thermal runaway', 'runaway'],
  },
  battery_thermal: {
    title: 'Battery thermal management failure',
    component: 'battery',
    root_cause:
      'The battery cooling is not removing heat fast enough: coolant pump or flow restriction, low coolant, ' +
      'or poor thermal contact between cells and the cooling plate (thermal paste application).',
    recommended_action:
      'Inspect the battery cooling loop (pump, coolant level, thermal interface material); limit fast charging until serviced.',
    owner_advice:
      'Your battery is running hotter than it should. Until it has been checked, avoid fast charging and long drives at high speed.',
    default_severity: 'High',
    min_severity: 'Low',
    confidence: 0.8,
    phrases: ['high battery temp', 'battery temp', 'battery thermal', 'battery overheat'],
  },
  motor_bearing: {
    title: 'Motor bearing wear',
    component: 'motor',
    root_cause: 'Worn drive-motor bearings or rotor imbalance, causing abnormal vibration.',
    recommended_action: 'Inspect the drive motor bearings and rotor balance; replace bearings if worn.',
    owner_advice:
      'We noticed unusual vibration from the electric motor. It is safe to drive gently, but the motor should be looked at before the wear gets worse.',
    default_severity: 'High',
    min_severity: 'Low',
    confidence: 0.75,
    phrases: ['high motor vibration', 'motor vibration', 'vibration', 'bearing'],
  },
  motor_overheat: {
    title: 'Motor overheating',
    component: 'motor',
    root_cause:
      'Insufficient motor or inverter cooling (coolant flow, blocked radiator) or sustained overload.',
    recommended_action:
      'Check the motor/inverter coolant circuit and radiator; review load and towing history.',
    owner_advice:
      'The electric motor is getting hotter than normal. Avoid heavy loads and steep, fast climbs until it has been checked.',
    default_severity: 'High',
    min_severity: 'Low',
    confidence: 0.75,
    phrases: ['motor overheating', 'motor overheat', 'motor temp'],
  },
  tire_pressure: {
    title: 'Low tire pressure',
    component: 'tires',
    root_cause: 'Slow leak: puncture, leaking valve or bead seal.',
    recommended_action: 'Inflate to the recommended pressure and inspect the tire and valve for leaks.',
    owner_advice:
      'One of your tires is losing air. Please top it up to the recommended pressure soon and have it checked for a puncture.',
    default_severity: 'Medium',
    min_severity: 'Low',
    confidence: 0.8,
    phrases: ['low tire pressure', 'low tyre pressure', 'tire pressure', 'tyre pressure', 'tire', 'tyre'],
  },
  brake_wear: {
    title: 'Brake pad wear',
    component: 'brakes',
    root_cause:
      'Brake pads near the end of their life; wear is accelerated by little use of regenerative braking.',
    recommended_action: 'Replace the brake pads and check the discs.',
    owner_advice:
      'Your brake pads are wearing thin and will need replacing soon so the car keeps stopping as it should.',
    default_severity: 'High',
    min_severity: 'Low',
    confidence: 0.85,
    phrases: ['brake pads worn', 'brake pad', 'brake'],
  },
  battery_degradation: {
    title: 'Battery degradation',
    component: 'battery',
    root_cause: 'Cell ageing (capacity fade), accelerated by frequent fast charging and high temperatures.',
    recommended_action:
      'Run a battery health check; plan module or pack replacement (check warranty coverage).',
    owner_advice:
      'Your battery can no longer hold as much charge as it used to, so your driving range is shorter. A health check will show whether parts of it should be replaced.',
    default_severity: 'Medium',
    min_severity: 'Low',
    confidence: 0.8,
    phrases: ['battery degradation', 'state of health', 'soh', 'capacity fade', 'degradation'],
  },
  [UNCLASSIFIED]: {
    title: 'Unclassified anomaly',
    component: 'unknown',
    root_cause: 'Not enough information to determine a root cause.',
    recommended_action: 'Have a technician read the vehicle diagnostics and inspect the vehicle.',
    owner_advice:
      'We noticed something unusual in your vehicle data. A quick check at a service centre will tell us more.',
    default_severity: 'Medium',
    min_severity: 'Low',
    confidence: 0.3,
    phrases: [],
  },
}

export type DiagnosisInput =
  | string
  | {
      type?: AnomalyType | null
      label?: string
      reason?: string | null
      signals?: Signal[]
      severity?: Severity | null
      /** Used for anomalies the knowledge table does not know (e.g. a type added by a rules file). */
      component?: string
    }

export interface DiagnosisOptions {
  /** Battery voltage below this counts as a voltage sag (default 300 V). */
  lowVoltage?: number
}

// Longest phrases first: a specific label ('high motor vibration') beats a bare keyword ('vibration').
const PHRASE_INDEX: ReadonlyArray<[string, string]> = Object.entries(KNOWLEDGE)
  .flatMap(([key, entry]) =>
    [entry.title.toLowerCase(), ...entry.phrases].map((p): [string, string] => [p, key]),
  )
  .sort((a, b) => b[0].length - a[0].length)

const VOLTAGE_SAG_WORDS = [
  'low voltage',
  'low battery voltage',
  'voltage drop',
  'voltage sag',
  'undervoltage',
]

/** Finds the knowledge key for free text (an anomaly type id, a label, a reason or a diagnosis title). */
export function matchKnowledge(text: string | null | undefined): string | undefined {
  if (typeof text !== 'string') return undefined
  const t = text.trim().toLowerCase()
  if (t === '') return undefined
  if (Object.hasOwn(KNOWLEDGE, t) && t !== UNCLASSIFIED) return t
  // Field names, labels and reasons all match once punctuation and underscores are spaces; a phrase
  // must start at a word boundary (so 'soh' does not match inside another word).
  const normalized = ` ${t.replace(/[^a-z0-9]+/g, ' ')}`
  for (const [phrase, key] of PHRASE_INDEX) if (normalized.includes(` ${phrase}`)) return key
  return undefined
}

/**
 * Maps an anomaly to a root cause from the knowledge table. Accepts a free-text label or reason
 * ("High Battery Temp") or an anomaly object from the data agent. Pass the current reading as
 * `snapshot` to let the combination rules see signals outside the anomaly (e.g. battery voltage).
 * Never throws; unknown input gives the low-confidence "Unclassified anomaly".
 */
export class DiagnosisAgent {
  private readonly lowVoltage: number

  constructor(options: DiagnosisOptions = {}) {
    this.lowVoltage = options.lowVoltage ?? 300
  }

  diagnose(anomaly: DiagnosisInput, snapshot?: Record<string, unknown>): Diagnosis {
    try {
      return this.run(anomaly, snapshot)
    } catch {
      return build(KNOWLEDGE[UNCLASSIFIED]!, UNCLASSIFIED, undefined, 'none', undefined)
    }
  }

  private run(anomaly: DiagnosisInput, snapshot?: Record<string, unknown>): Diagnosis {
    const input = typeof anomaly === 'string' ? { reason: anomaly } : (anomaly ?? {})
    const signals = Array.isArray(input.signals) ? input.signals : []
    const text = [input.type, input.label, input.reason].filter((s) => typeof s === 'string').join(' | ')
    const key =
      (typeof input.type === 'string' ? matchKnowledge(input.type) : undefined) ??
      matchKnowledge(input.label) ??
      matchKnowledge(input.reason) ??
      signals.map((s) => matchKnowledge(s?.signal)).find((k) => k !== undefined)

    const evidence = signals.some((s) => s?.kind === 'threshold')
      ? 'threshold'
      : signals.some((s) => s?.kind === 'drift')
        ? 'drift'
        : 'none'
    const severity = isSeverity(input.severity) ? input.severity : undefined
    // Runaway needs both halves: heat (the anomaly itself, unless its evidence is only another signal) and a voltage sag.
    const heat = signals.length === 0 || signals.some((s) => s?.signal === 'battery_temperature')
    const thermal = key === 'battery_thermal' && heat
    if (key === THERMAL_RUNAWAY || (thermal && this.voltageSag(text, signals, snapshot))) {
      return build(KNOWLEDGE[THERMAL_RUNAWAY]!, THERMAL_RUNAWAY, severity, evidence, undefined)
    }
    if (key !== undefined) return build(KNOWLEDGE[key]!, key, severity, evidence, undefined)
    const what = typeof input.label === 'string' && input.label.trim() !== '' ? input.label.trim() : undefined
    const generic = build(KNOWLEDGE[UNCLASSIFIED]!, UNCLASSIFIED, severity, evidence, what)
    if (typeof input.component === 'string' && input.component.trim() !== '')
      generic.component = input.component.trim()
    return generic
  }

  private voltageSag(text: string, signals: Signal[], snapshot?: Record<string, unknown>): boolean {
    const lower = text.toLowerCase()
    if (VOLTAGE_SAG_WORDS.some((w) => lower.includes(w))) return true
    for (const s of signals) {
      if (s?.signal !== 'battery_voltage' || !Number.isFinite(s.value)) continue
      if (s.value < this.lowVoltage) return true
      if (s.threshold !== undefined && s.value < s.threshold) return true
      if (s.kind === 'drift' && s.baseline !== undefined && s.value < s.baseline) return true
    }
    const v = snapshot?.battery_voltage
    return typeof v === 'number' && Number.isFinite(v) && v > 0 && v < this.lowVoltage
  }
}

function build(
  entry: KnowledgeEntry,
  pattern: string,
  severity: Severity | undefined,
  evidence: 'threshold' | 'drift' | 'none',
  what: string | undefined,
): Diagnosis {
  // Hard evidence (a threshold crossed) is more conclusive than a statistical drift from the vehicle's norm.
  const adjust = evidence === 'threshold' ? 0.05 : evidence === 'drift' ? -0.2 : 0
  const confidence = Math.round(Math.min(0.99, Math.max(0.05, entry.confidence + adjust)) * 100) / 100
  return {
    diagnosis_text: what ? `${entry.title}: ${what}` : entry.title,
    severity: maxSeverity(severity ?? entry.default_severity, entry.min_severity),
    confidence,
    component: entry.component,
    recommended_action: entry.recommended_action,
    root_cause: entry.root_cause,
    pattern,
  }
}
