/**
 * The alert's headline in the owner's words ("Battery running hot: 46 °C, limit 45 °C"); the
 * detector's own numbers (z-scores, deviations) stay in the details. Imports nothing, so the
 * dashboard uses the same words as the server's alert message.
 */

export interface HeadlineSignal {
  signal: string
  value: number | null
  threshold?: number | null
  baseline?: number | null
  kind: 'threshold' | 'drift'
}

interface Wording {
  /** What crossing upwards / downwards means for this signal, in plain words. */
  up: string
  down: string
  unit: string
  /** Shown as a percentage (the dataset stores fractions). */
  percent?: boolean
  digits: number
}

const WORDING: Readonly<Record<string, Wording>> = {
  battery_temperature: { up: 'Battery running hot', down: 'Battery very cold', unit: '°C', digits: 0 },
  motor_temperature: { up: 'Motor running hot', down: 'Motor very cold', unit: '°C', digits: 0 },
  tire_temperature: { up: 'Tyres running hot', down: 'Tyres very cold', unit: '°C', digits: 0 },
  tire_pressure: { up: 'Tyre pressure high', down: 'Tyre pressure low', unit: 'psi', digits: 1 },
  motor_vibration: {
    up: 'Motor vibrating more than it should',
    down: 'Motor vibration low',
    unit: 'g',
    digits: 2,
  },
  brake_pad_wear: { up: 'Brake pads worn', down: 'Brake pad wear low', unit: '%', percent: true, digits: 0 },
  soh: { up: 'Battery health high', down: 'Battery health low', unit: '%', percent: true, digits: 0 },
  battery_voltage: { up: 'Battery voltage high', down: 'Battery voltage low', unit: 'V', digits: 0 },
}

const TYPE_FALLBACK: Readonly<Record<string, string>> = {
  battery_thermal: 'Battery running hot',
  motor_bearing: 'Motor bearing wearing',
  motor_overheat: 'Motor running hot',
  tire_pressure: 'Tyre pressure out of range',
  brake_wear: 'Brake pads worn',
  battery_degradation: 'Battery health falling',
}

function words(signal: string): Wording {
  const known = WORDING[signal]
  if (known) return known
  const label = signal.replaceAll('_', ' ')
  const name = label.charAt(0).toUpperCase() + label.slice(1)
  return { up: `${name} high`, down: `${name} low`, unit: '', digits: 2 }
}

function show(x: number, w: Wording): string {
  const n = w.percent ? x * 100 : x
  const text = n.toFixed(w.digits)
  return w.unit ? `${text} ${w.unit}` : text
}

/**
 * One line per alert, from its strongest signal: a threshold says the value and the limit; a
 * drift says the value against what is usual for this vehicle.
 */
export function alertHeadline(anomalyType: string, signals: readonly HeadlineSignal[]): string {
  const s = signals.find((x) => x.value !== null && x.value !== undefined)
  if (!s || s.value === null) return TYPE_FALLBACK[anomalyType] ?? words(anomalyType).up
  const w = words(s.signal)
  if (s.kind === 'threshold' && s.threshold !== null && s.threshold !== undefined) {
    const phrase = s.value >= s.threshold ? w.up : w.down
    return `${phrase}: ${show(s.value, w)}, limit ${show(s.threshold, w)}`
  }
  if (s.baseline !== null && s.baseline !== undefined) {
    const phrase = s.value >= s.baseline ? w.up : w.down
    return `${phrase}: ${show(s.value, w)}, usually ${show(s.baseline, w)} on this vehicle`
  }
  return `${TYPE_FALLBACK[anomalyType] ?? w.up}: ${show(s.value, w)}`
}
