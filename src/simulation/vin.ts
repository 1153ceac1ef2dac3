/**
 * Vehicle Identification Numbers (ISO 3779) with the North American check digit (49 CFR 565).
 * The check digit is what lets an operator's typo be caught at ingest, so every VIN we invent
 * must carry a correct one.
 */

/** The 33 characters a VIN may contain: digits and capital letters except I, O and Q. */
export const VIN_ALPHABET = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ'

const VIN_PATTERN = /^[0-9A-HJ-NPR-Z]{17}$/

const TRANSLITERATION: Readonly<Record<string, number>> = {
  A: 1,
  B: 2,
  C: 3,
  D: 4,
  E: 5,
  F: 6,
  G: 7,
  H: 8,
  J: 1,
  K: 2,
  L: 3,
  M: 4,
  N: 5,
  P: 7,
  R: 9,
  S: 2,
  T: 3,
  U: 4,
  V: 5,
  W: 6,
  X: 7,
  Y: 8,
  Z: 9,
}

const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2] as const

function charValue(ch: string): number {
  if (ch >= '0' && ch <= '9') return ch.charCodeAt(0) - 48
  const value = TRANSLITERATION[ch]
  if (value === undefined) throw new Error(`invalid VIN character '${ch}'`)
  return value
}

/**
 * The check digit ('0'-'9' or 'X') for a 17-character VIN. Position 9 is ignored (its weight is
 * 0), so a placeholder such as '0' may stand there.
 */
export function vinCheckDigit(vin: string): string {
  if (vin.length !== 17) throw new Error(`a VIN has 17 characters, got ${vin.length}`)
  let sum = 0
  for (let i = 0; i < 17; i++) sum += charValue(vin[i]!) * WEIGHTS[i]!
  const remainder = sum % 11
  return remainder === 10 ? 'X' : String(remainder)
}

/** True for a well-formed VIN (alphabet, length) whose position 9 holds the correct check digit. */
export function isValidVin(vin: string): boolean {
  if (!VIN_PATTERN.test(vin)) return false
  return vin[8] === vinCheckDigit(vin)
}

/** Returns `vin` with the correct check digit written into position 9. */
export function withCheckDigit(vin: string): string {
  if (!VIN_PATTERN.test(`${vin.slice(0, 8)}0${vin.slice(9)}`)) {
    throw new Error(`not a VIN shape: '${vin}'`)
  }
  return vin.slice(0, 8) + vinCheckDigit(vin) + vin.slice(9)
}

/** Model-year codes repeat every 30 years; 2010 = 'A'. Letters I, O, Q, U, Z and digit 0 are skipped. */
const YEAR_CODES = 'ABCDEFGHJKLMNPRSTVWXY123456789'

/** The position-10 model-year code, e.g. 2023 -> 'P', 2025 -> 'S'. */
export function modelYearCode(year: number): string {
  if (!Number.isInteger(year) || year < 1980) throw new Error(`unsupported model year ${year}`)
  return YEAR_CODES[(year - 2010 + 30 * 10) % 30]!
}

export interface VinParts {
  /** World manufacturer identifier, 3 characters. */
  wmi: string
  /** Vehicle descriptor section (positions 4-8), 5 characters. */
  vds: string
  year: number
  /** Assembly plant, 1 character. */
  plant: string
  /** Production sequence number, 6 characters. */
  serial: string
}

/** Assembles a VIN from its parts and computes its check digit. */
export function buildVin(parts: VinParts): string {
  const { wmi, vds, year, plant, serial } = parts
  if (wmi.length !== 3 || vds.length !== 5 || plant.length !== 1 || serial.length !== 6) {
    throw new Error(`bad VIN parts: ${JSON.stringify(parts)}`)
  }
  return withCheckDigit(`${wmi}${vds}0${modelYearCode(year)}${plant}${serial}`)
}
