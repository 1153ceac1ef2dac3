import { describe, expect, it } from 'vitest'
import { DEFECTIVE_BATCH, FLEET_OWNERS, FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { MODEL_SPECS, syntheticFleet } from '../../src/simulation/fleet-profiles.js'
import {
  buildVin,
  isValidVin,
  modelYearCode,
  VIN_ALPHABET,
  vinCheckDigit,
  withCheckDigit,
} from '../../src/simulation/vin.js'

describe('VIN check digit', () => {
  it('matches known valid VINs', () => {
    // The textbook example from 49 CFR 565 guidance, whose check digit is X.
    expect(vinCheckDigit('1M8GDM9AXKP042788')).toBe('X')
    expect(isValidVin('1M8GDM9AXKP042788')).toBe(true)
    expect(isValidVin('11111111111111111')).toBe(true)
    expect(isValidVin('1HGCM82633A004352')).toBe(true)
  })

  it('rejects a wrong check digit, a wrong length and the letters I, O, Q', () => {
    expect(isValidVin('1M8GDM9A1KP042788')).toBe(false)
    expect(isValidVin('1M8GDM9AXKP04278')).toBe(false)
    expect(isValidVin('1M8GDM9AXKP0427888')).toBe(false)
    for (const bad of ['I', 'O', 'Q']) expect(isValidVin(`1M8GDM9AXKP04278${bad}`)).toBe(false)
    expect(isValidVin('1m8gdm9axkp042788')).toBe(false)
  })

  it('writes the check digit and the model-year code', () => {
    expect(withCheckDigit('1M8GDM9A0KP042788')).toBe('1M8GDM9AXKP042788')
    expect([2023, 2024, 2025, 2026].map(modelYearCode)).toEqual(['P', 'R', 'S', 'T'])
    const vin = buildVin({ wmi: '5AT', vds: 'VSA1E', year: 2025, plant: 'A', serial: '250101' })
    expect(vin).toBe('5ATVSA1E9SA250101')
    expect(VIN_ALPHABET).not.toMatch(/[IOQ]/)
  })
})

describe('FLEET_VEHICLES', () => {
  it('has 10 EVs with valid, unique VINs whose year code matches the model year', () => {
    expect(FLEET_VEHICLES).toHaveLength(10)
    for (const v of FLEET_VEHICLES) {
      expect(v.vin).toHaveLength(17)
      expect(isValidVin(v.vin), v.vin).toBe(true)
      expect(v.vin[9]).toBe(modelYearCode(v.year))
      expect(v.vehicleType).toBe('EV')
    }
    expect(new Set(FLEET_VEHICLES.map((v) => v.vin)).size).toBe(10)
  })

  it('mixes 2-3 known models, model years 2023-2025 and 3-4 batches', () => {
    const models = new Set(FLEET_VEHICLES.map((v) => v.model))
    expect(models.size).toBeGreaterThanOrEqual(2)
    expect(models.size).toBeLessThanOrEqual(3)
    for (const m of models) expect(MODEL_SPECS.map((s) => s.model)).toContain(m)
    for (const v of FLEET_VEHICLES) {
      expect(v.year).toBeGreaterThanOrEqual(2023)
      expect(v.year).toBeLessThanOrEqual(2025)
      expect(v.batch).toMatch(/^B-\d{4}-(0[1-9]|1[0-2])$/)
    }
    const batches = new Set(FLEET_VEHICLES.map((v) => v.batch))
    expect(batches.size).toBeGreaterThanOrEqual(3)
    expect(batches.size).toBeLessThanOrEqual(4)
  })

  it('puts 4 vehicles, of more than one model, in the defective batch', () => {
    const defective = FLEET_VEHICLES.filter((v) => v.batch === DEFECTIVE_BATCH)
    expect(defective).toHaveLength(4)
    expect(new Set(defective.map((v) => v.model)).size).toBeGreaterThan(1)
  })

  it('belongs to the three owners: user 4 (2+ defective), maria 3, kenji 3', () => {
    const emails = FLEET_OWNERS.map((o) => o.email)
    expect(new Set(emails).size).toBe(FLEET_OWNERS.length)
    for (const v of FLEET_VEHICLES) expect(emails).toContain(v.ownerEmail)
    const owned = (email: string) => FLEET_VEHICLES.filter((v) => v.ownerEmail === email)
    expect(owned('user@demo.com')).toHaveLength(4)
    expect(owned('maria@demo.com')).toHaveLength(3)
    expect(owned('kenji@demo.com')).toHaveLength(3)
    const userDefective = owned('user@demo.com').filter((v) => v.batch === DEFECTIVE_BATCH)
    expect(userDefective.length).toBeGreaterThanOrEqual(2)
  })
})

describe('syntheticFleet', () => {
  it('makes 1,000 vehicles with valid unique VINs, apart from the demo fleet', () => {
    const fleet = syntheticFleet(1000)
    expect(fleet).toHaveLength(1000)
    const vins = new Set(fleet.map((v) => v.vin))
    expect(vins.size).toBe(1000)
    const emails = new Set(FLEET_OWNERS.map((o) => o.email))
    expect(fleet.filter((v) => !isValidVin(v.vin) || !emails.has(v.ownerEmail))).toEqual([])
    for (const v of FLEET_VEHICLES) expect(vins.has(v.vin)).toBe(false)
    const defective = fleet.filter((v) => v.batch === DEFECTIVE_BATCH).length
    expect(defective).toBeGreaterThan(240)
    expect(defective).toBeLessThan(260)
    // Owners are not tied to one model.
    const userModels = new Set(fleet.filter((v) => v.ownerEmail === 'user@demo.com').map((v) => v.model))
    expect(userModels.size).toBe(3)
  })

  it('rejects a bad count', () => {
    expect(() => syntheticFleet(0)).toThrow()
    expect(() => syntheticFleet(1.5)).toThrow()
  })
})
