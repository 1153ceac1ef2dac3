import type { FaultKind } from './fleet-faults.js'

/** The vehicle's condition, as the labels see it. */
export interface ConditionInput {
  soh: number
  /** Expected SoH loss per day at this vehicle's usage. */
  sohLossPerDay: number
  brakePadWear: number
  /** Expected pad wear per day, including any active brake fault. */
  padWearPerDay: number
  /** Cold tyre pressure, psi. */
  coldTirePressure: number
  /** Motor health before any bearing fault, 0-1 (falls slowly with age). */
  motorBaseline: number
  /** The active fault, if any, with its progress 0-1 towards failure. */
  fault: { kind: FaultKind; progress: number } | null
}

export interface Labels {
  /** Remaining useful life of the weakest component, days, 0-300. */
  rul: number
  /** 1 while a fault is near failure. */
  failureProbability: 0 | 1
  /** 0 none, 1 preventive (something is due), 2 corrective (a fault is developing), 3 urgent. */
  maintenanceType: 0 | 1 | 2 | 3
  /** Time to failure, hours, 0-200: RUL in hours, capped. */
  ttf: number
  /** Health of the weakest component, 0-1. */
  healthScore: number
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x))

/**
 * Derives the label columns from the condition rather than drawing them, so that they agree with
 * the sensor columns: a developing fault lowers the health of its component, shortens RUL and TTF,
 * and raises the maintenance type.
 */
export function deriveLabels(c: ConditionInput): Labels {
  const f = c.fault
  const progress = f ? clamp01(f.progress) : 0
  const hit = (kind: FaultKind, weight: number) => (f?.kind === kind ? 1 - weight * progress : 1)

  const battery = clamp01((c.soh - 0.6) / 0.4) * hit('battery_thermal', 0.85)
  const motor = c.motorBaseline * hit('bearing_wear', 0.85)
  const tires = clamp01(1 - Math.abs(c.coldTirePressure - 35) / 12) * hit('slow_leak', 0.5)
  const brakes = clamp01(1 - c.brakePadWear ** 2)
  const healthScore = Math.min(battery, motor, tires, brakes)

  const lives = [
    (c.soh - 0.7) / Math.max(1e-6, c.sohLossPerDay),
    (0.8 - c.brakePadWear) / Math.max(1e-6, c.padWearPerDay),
  ]
  // Shrinks smoothly with the fault's progress: 300 days when it starts, about a week at 0.7, 0 at 1.
  if (f && f.kind !== 'brake_wear') lives.push(300 * (1 - progress) ** 3)
  const rul = Math.min(300, Math.max(0, Math.min(...lives)))

  const failureProbability = progress >= 0.7 ? 1 : 0
  const preventive = c.brakePadWear >= 0.6 || c.soh < 0.8 || c.coldTirePressure < 33 || progress > 0.1
  const maintenanceType = failureProbability ? 3 : progress >= 0.35 ? 2 : preventive ? 1 : 0
  return { rul, failureProbability, maintenanceType, ttf: Math.min(200, rul * 24), healthScore }
}
