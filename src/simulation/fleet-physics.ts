import type { FleetVehicle } from './fleet.js'
import { COLUMN_DECIMALS as D, type FleetRow, roundTo } from './fleet-csv.js'
import { EpisodeRuntime, type FaultPlan, faultSignals } from './fleet-faults.js'
import { deriveLabels } from './fleet-labels.js'
import { cellOcv, chargePowerKw, clamp, DT_H, lag, traction } from './fleet-powertrain.js'
import {
  batchAgeMonths,
  CALENDAR_FADE_PER_STEP,
  CYCLES_PER_MONTH,
  climateFor,
  type ModelSpec,
  modelSpec,
  PLUG_BELOW,
} from './fleet-profiles.js'
import { Rng } from './fleet-random.js'
import { type DayPlan, planDay, weekdayOf } from './fleet-schedule.js'
import type { Weather } from './fleet-weather.js'

const DAY_MS = 86_400_000

/** One vehicle, stepped 15 minutes at a time. Its state carries over, so every series is smooth. */
export class VehicleSim {
  readonly episodes: EpisodeRuntime[]
  private readonly spec: ModelSpec
  private readonly rng: Rng
  private readonly tzMs: number
  private readonly fadePerCycle: number
  private readonly leakPerStep: number
  private readonly regenBase: number
  private readonly vibBase: number
  private readonly motorBaseline: number
  private readonly ambientBias: number
  private soc: number
  private soh: number
  private cycles: number
  private battT: number
  private motorT: number
  private tireT: number
  private coldPressure: number
  private padWear: number
  private lastBattReported: number
  private charging: { dc: boolean; target: number } | null = null
  private day = Number.NaN
  private plan: DayPlan | null = null
  private plugBelow = 0.6
  private chargeTo = 0.9

  constructor(
    readonly vehicle: FleetVehicle,
    private readonly weather: Weather,
    seed: number,
    startMs: number,
    plans: readonly FaultPlan[],
  ) {
    const rng = new Rng(seed, `vehicle:${vehicle.vin}`)
    const spec = modelSpec(vehicle.model)
    this.rng = rng
    this.spec = spec
    this.tzMs = climateFor(vehicle.ownerEmail).utcOffsetHours * 3_600_000
    this.episodes = plans.map((p) => new EpisodeRuntime(p))
    const months = batchAgeMonths(vehicle.batch, new Date(startMs))
    this.cycles = months * CYCLES_PER_MONTH[spec.usage] * rng.range(0.8, 1.2)
    this.soh = 1 - (0.0012 * months + 0.00004 * this.cycles) * rng.range(0.85, 1.15)
    this.fadePerCycle = rng.range(0.0006, 0.001)
    this.soc = rng.range(0.55, 0.9)
    const amb = weather.ambient[0]!
    this.battT = 0.45 * amb + 14
    this.motorT = amb
    this.tireT = amb
    this.lastBattReported = this.battT
    this.coldPressure = rng.range(33.4, 35.2)
    this.leakPerStep = rng.range(0.02, 0.05) / 96
    this.regenBase = rng.range(0.84, 0.9)
    this.vibBase = rng.range(0.19, 0.24)
    this.motorBaseline = 0.99 - 0.008 * (months / 12) - rng.range(0, 0.02)
    this.ambientBias = rng.gauss(0, 0.3)
    this.padWear = rng.range(0.12, 0.42)
    const brake = plans.find((p) => p.kind === 'brake_wear')
    if (brake) {
      // Start the month with pads that have reached about 0.6 when the fault begins.
      const perDay = spec.kmPerDay * spec.padWearPerKm * 1.1
      this.padWear = Math.max(0.1, rng.range(0.56, 0.62) - perDay * (brake.startStep / 96))
    }
  }

  private newDay(day: number): void {
    this.day = day
    this.plan = planDay(this.spec.usage, weekdayOf(day), this.rng)
    const [lo, hi] = PLUG_BELOW[this.spec.usage]
    this.plugBelow = this.rng.range(lo, hi)
    this.chargeTo = this.spec.usage === 'delivery' ? 0.95 : this.rng.chance(0.7) ? 0.9 : 0.8
  }

  private begin(ep: EpisodeRuntime): void {
    if (ep.plan.kind === 'slow_leak') ep.startValue = this.coldPressure
    if (ep.plan.kind === 'brake_wear') {
      ep.startValue = this.padWear
      // Sized so that the pads cross 0.8 after about `target` days even on quieter days.
      ep.extraWearPerKm = Math.max(0, 0.83 - this.padWear) / (ep.plan.target * this.spec.kmPerDay * 0.8)
    }
  }

  private repair(ep: EpisodeRuntime): void {
    if (ep.plan.kind === 'slow_leak') this.coldPressure = this.rng.range(34.8, 35.2)
    if (ep.plan.kind === 'brake_wear') this.padWear = this.rng.range(0.02, 0.05)
  }

  step(k: number, tMs: number, timestamp: string): FleetRow {
    const { rng, spec } = this
    for (const e of this.episodes) if (e.endStep === k) this.repair(e)
    const ep = this.episodes.find((e) => e.isActive(k)) ?? null
    if (ep && ep.plan.startStep === k) this.begin(ep)
    const sev = ep ? ep.severity(k) : 0
    const kind = ep?.plan.kind

    const local = tMs + this.tzMs
    const day = Math.floor(local / DAY_MS)
    const minute = Math.floor((local - day * DAY_MS) / 60_000)
    if (day !== this.day || !this.plan) this.newDay(day)
    const plan = this.plan!
    const slot = plan.slots[Math.floor(minute / 15)]!
    const amb = this.weather.ambient[k]!

    // Where the vehicle is: driving, at its home charger, at a fast charger, or parked.
    let drive = slot.drive
    if (this.charging?.dc) drive = 0
    if (drive > 0 && this.soc < 0.15) {
      drive = 0
      this.charging = { dc: true, target: 0.8 }
    }
    if (drive > 0) this.charging = null
    const atHome = minute < plan.firstStartMin || minute >= plan.lastEndMin
    if (!this.charging && drive === 0) {
      if (atHome && this.soc < this.plugBelow) this.charging = { dc: false, target: this.chargeTo }
      else if (!atHome && this.soc < 0.2) this.charging = { dc: true, target: 0.8 }
    }

    const hotBattery = kind === 'battery_thermal' && this.lastBattReported > 45 ? sev : 0
    const regen = clamp(
      this.regenBase -
        (0.35 * Math.max(0, this.soc - 0.92)) / 0.08 -
        0.008 * Math.max(0, 15 - this.battT) -
        (kind === 'brake_wear' ? 0.25 * sev : 0) -
        0.2 * hotBattery +
        0.01 * rng.normal(),
      0.3,
      0.95,
    )

    const payload = slot.payload
    const mass = spec.curbMassKg + payload
    const engaged = Math.min(1, drive * 1.5)
    let speed = 0
    let rpm = 0
    let torque = 0
    let tractionKw = 0
    let brakePressure = 0
    if (drive > 0) {
      speed = slot.speed * (1 + 0.05 * rng.normal())
      ;({ rpm, torque, kw: tractionKw } = traction(spec, slot, speed, regen))
      brakePressure =
        6 + 38 * slot.stopGo + 12 * slot.rough + 0.004 * payload + (kind === 'brake_wear' ? 15 * sev : 0)
      brakePressure *= engaged * (1 + 0.05 * rng.normal())
    }
    const hvacKw = 0.35 + 0.09 * Math.abs(amb - 21)
    const consumptionKw = drive * (tractionKw + hvacKw) + 0.04 + (this.charging ? 0.3 : 0)

    // Battery: power balance -> current -> voltage, SoC, cycles, SoH.
    const vOc = cellOcv(this.soc) * spec.cellsInSeries
    const chargeKw = chargePowerKw(spec, this.charging, this.soc, vOc, this.lastBattReported)
    const battKw = chargeKw * 0.92 - consumptionKw
    const resistance =
      spec.packResistance * (1 + 2.5 * (1 - this.soh)) * (1 + 0.02 * Math.max(0, 25 - this.battT))
    const current = (battKw * 1000) / vOc
    let voltage = vOc + current * resistance
    this.soc = clamp(this.soc + (battKw * DT_H) / (spec.capacityKwh * this.soh), 0.02, 1)
    const dCycles = (Math.max(0, battKw) * DT_H) / spec.capacityKwh
    this.cycles += dCycles
    this.soh -=
      this.fadePerCycle * dCycles + CALENDAR_FADE_PER_STEP + (this.lastBattReported > 45 ? 1.5e-5 : 0)
    if (this.charging && this.soc >= this.charging.target) this.charging = null

    // Temperatures follow their heat sources with a lag; faults are laid over the healthy reading.
    const active = drive > 0 || chargeKw > 0
    // Joule heating scales with the pack's resistance: the small Urban pack warms more per ampere.
    const heatPerAmp = 0.11 * (spec.packResistance / 0.1)
    const battTarget = 0.45 * amb + 14 + heatPerAmp * Math.abs(current) + (chargeKw > 20 ? 2 : 0)
    this.battT = lag(this.battT, battTarget, active ? 0.8 : 3)
    let battReported = this.battT
    if (kind === 'battery_thermal') {
      battReported += sev * (ep!.plan.target - battReported)
      voltage -= sev * ep!.plan.sagVolts
    }
    battReported += 0.25 * rng.normal()
    this.lastBattReported = battReported

    const motorLoaded = 0.5 * amb + 30 + 0.3 * torque + 0.003 * rpm
    const motorTarget = amb + Math.min(1, drive * 1.3) * (motorLoaded - amb)
    this.motorT = lag(this.motorT, motorTarget, drive > 0 ? 0.6 : 1.2)
    let motorReported = this.motorT + 0.6 * rng.normal()
    const drivingVib = this.vibBase + 0.000045 * rpm + 0.32 * slot.rough + 0.05 * slot.stopGo
    let vibration = 0.2 + (drivingVib - 0.2) * engaged
    if (kind === 'bearing_wear') {
      motorReported += sev * (3 + 12 * engaged)
      // A few minutes of rotation are enough for a worn bearing to show its full vibration.
      vibration += sev * (0.35 + (ep!.plan.target - 0.35) * Math.min(1, drive * 3) - vibration)
    }
    vibration *= 1 + 0.04 * rng.normal()

    // Tyres: slow natural leak, re-inflated now and then on a daytime stop; pressure rises with heat.
    this.coldPressure -= this.leakPerStep
    const inflateNow = rng.chance(0.03)
    const daytimeStop = drive === 0 && minute >= 540 && minute < 1020
    if (daytimeStop && kind !== 'slow_leak' && this.coldPressure < 33 && inflateNow) {
      this.coldPressure = rng.range(34.7, 35.3)
    }
    const leak = kind === 'slow_leak' ? sev * (ep!.startValue - ep!.plan.target) : 0
    const tireTarget =
      amb + drive * (0.16 * speed + 5 * slot.rough + 0.0015 * payload + (leak > 0 ? 6 * sev : 0))
    this.tireT = lag(this.tireT, tireTarget, 0.5)
    const tirePressure = this.coldPressure - leak + 0.05 * (this.tireT - 20) + 0.05 * rng.normal()

    const km = speed * drive * DT_H
    this.padWear += km * spec.padWearPerKm * (0.6 + 0.8 * slot.stopGo)
    if (kind === 'brake_wear') this.padWear += sev * ep!.extraWearPerKm * km

    const suspension = 0.25 * payload + mass * 0.04 * (1.5 * slot.rough + 0.5 * slot.stopGo) * engaged
    const progress =
      kind === 'brake_wear'
        ? clamp((this.padWear - ep!.startValue) / (0.8 - ep!.startValue), 0, 1)
        : kind
          ? sev
          : 0
    const labels = deriveLabels({
      soh: this.soh,
      sohLossPerDay: (this.fadePerCycle * CYCLES_PER_MONTH[spec.usage]) / 30 + CALENDAR_FADE_PER_STEP * 96,
      brakePadWear: this.padWear,
      padWearPerDay:
        spec.kmPerDay * (spec.padWearPerKm * 1.1 + (kind === 'brake_wear' ? sev * ep!.extraWearPerKm : 0)),
      coldTirePressure: this.coldPressure - leak,
      motorBaseline: this.motorBaseline,
      fault: ep ? { kind: ep.plan.kind, progress } : null,
    })

    // One object literal with a fixed shape: this loop runs millions of times for benchmark fleets.
    const row: FleetRow = {
      VIN: this.vehicle.vin,
      Timestamp: timestamp,
      SoC: roundTo(this.soc, D.SoC),
      SoH: roundTo(this.soh, D.SoH),
      Battery_Voltage: roundTo(voltage + 0.3 * rng.normal(), D.Battery_Voltage),
      Battery_Current: roundTo(current * (1 + 0.01 * rng.normal()), D.Battery_Current),
      Battery_Temperature: roundTo(battReported, D.Battery_Temperature),
      Charge_Cycles: roundTo(this.cycles, D.Charge_Cycles),
      Motor_Temperature: roundTo(motorReported, D.Motor_Temperature),
      Motor_Vibration: roundTo(vibration, D.Motor_Vibration),
      Motor_Torque: roundTo(torque * (1 + 0.04 * rng.normal()), D.Motor_Torque),
      Motor_RPM: roundTo(rpm, D.Motor_RPM),
      Power_Consumption: roundTo(consumptionKw, D.Power_Consumption),
      Brake_Pad_Wear: roundTo(this.padWear, D.Brake_Pad_Wear),
      Brake_Pressure: roundTo(brakePressure, D.Brake_Pressure),
      Reg_Brake_Efficiency: roundTo(regen, D.Reg_Brake_Efficiency),
      Tire_Pressure: roundTo(tirePressure, D.Tire_Pressure),
      Tire_Temperature: roundTo(this.tireT + 0.3 * rng.normal(), D.Tire_Temperature),
      Suspension_Load: roundTo(Math.max(0, suspension + 2 * rng.normal()), D.Suspension_Load),
      Ambient_Temperature: roundTo(amb + this.ambientBias + 0.15 * rng.normal(), D.Ambient_Temperature),
      Ambient_Humidity: roundTo(clamp(this.weather.humidity[k]! + rng.normal(), 20, 99), D.Ambient_Humidity),
      Load_Weight: roundTo(payload, D.Load_Weight),
      Driving_Speed: roundTo(speed, D.Driving_Speed),
      Distance_Traveled: roundTo(km, D.Distance_Traveled),
      Idle_Time: roundTo(DT_H * (1 - drive), D.Idle_Time),
      Route_Roughness: roundTo(drive > 0 ? slot.rough : 0, D.Route_Roughness),
      RUL: roundTo(labels.rul, D.RUL),
      Failure_Probability: roundTo(labels.failureProbability, D.Failure_Probability),
      Maintenance_Type: roundTo(labels.maintenanceType, D.Maintenance_Type),
      TTF: roundTo(labels.ttf, D.TTF),
      Component_Health_Score: roundTo(labels.healthScore, D.Component_Health_Score),
    }
    if (ep) {
      ep.observe(
        k,
        {
          battery_temperature: row.Battery_Temperature,
          battery_voltage: row.Battery_Voltage,
          motor_vibration: row.Motor_Vibration,
          motor_temperature: row.Motor_Temperature,
          tire_pressure: row.Tire_Pressure,
          brake_pad_wear: row.Brake_Pad_Wear,
        },
        faultSignals(ep.plan),
      )
    }
    return row
  }
}
