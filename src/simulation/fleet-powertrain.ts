import type { ModelSpec } from './fleet-profiles.js'
import type { Slot } from './fleet-schedule.js'

/** One step, in hours. */
export const DT_H = 0.25
const G = 9.81

export const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x))

/** First-order thermal lag over one step towards `target` with time constant `tauH` hours. */
export function lag(value: number, target: number, tauH: number): number {
  return value + (target - value) * (1 - Math.exp(-DT_H / tauH))
}

/** Open-circuit voltage of one NMC cell: 3.3 V empty, 4.2 V full, steep near empty. */
export function cellOcv(soc: number): number {
  return 3.3 + 0.75 * soc + 0.15 * (1 - Math.exp(-10 * soc))
}

export interface Traction {
  /** Mean motor speed while moving. */
  rpm: number
  /** Mean absolute motor torque while moving, Nm (accelerations included). */
  torque: number
  /** Battery power drawn while moving, kW. */
  kw: number
}

/** Road-load physics for a slot driven at `speedKmh`: rolling, aero, hills and stop-and-go losses. */
export function traction(spec: ModelSpec, slot: Slot, speedKmh: number, regen: number): Traction {
  const mass = spec.curbMassKg + slot.payload
  const v = speedKmh / 3.6
  const fRoll = mass * G * (0.009 + 0.008 * slot.rough)
  const fAero = 0.6 * spec.cdA * v * v
  // Stop-and-go throws away the kinetic energy regen cannot recover; hills (rough routes) likewise.
  const kineticW = ((60 * slot.stopGo * 0.5 * mass * v * v) / 3600) * (1 - 0.6 * regen)
  const gradeW = mass * G * v * 0.01 * slot.rough
  const aRms = 0.25 + 0.55 * slot.stopGo + 0.3 * slot.rough
  return {
    rpm: (v / (2 * Math.PI * spec.wheelRadiusM)) * 60 * spec.gearRatio,
    torque: ((fRoll + fAero + 0.5 * mass * aRms) * spec.wheelRadiusM) / spec.gearRatio / 0.97,
    kw: ((fRoll + fAero) * v + kineticW + gradeW) / 1000 / 0.85,
  }
}

/**
 * Grid-side charging power. DC is limited to 150 A and tapers above 50 % SoC (and is derated when
 * the pack is hot); AC runs flat out up to 90 % and then tapers.
 */
export function chargePowerKw(
  spec: ModelSpec,
  charging: { dc: boolean } | null,
  soc: number,
  packOcv: number,
  packTemperature: number,
): number {
  if (!charging) return 0
  if (charging.dc) {
    const kw = Math.min(spec.dcChargeKw, (150 * packOcv) / 1000) * (1 - Math.max(0, soc - 0.5) * 1.2)
    return packTemperature > 50 ? kw * 0.4 : kw
  }
  return spec.acChargeKw * (soc > 0.9 ? Math.max(0.3, (1 - soc) / 0.1) : 1)
}
