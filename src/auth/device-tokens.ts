import { createHash, randomBytes } from 'node:crypto'

/** Every device token starts with this, so that one is recognisable in a config file or a log. */
export const DEVICE_TOKEN_PREFIX = 'dev_'

/** `dev_` and 43 base64url characters: 32 random bytes (256 bits). */
const DEVICE_TOKEN_PATTERN = /^dev_[A-Za-z0-9_-]{43}$/

export interface IssuedDeviceToken {
  /** Shown once, to whoever issued it; never stored. */
  token: string
  /** What the database keeps. */
  hash: string
}

/**
 * A device token is 256 random bits, not a password a person chose: nobody can guess it or
 * run a dictionary against a leaked hash, so a plain SHA-256 is as good as a slow hash here, and
 * it can be looked up by an index. argon2 on every telemetry request would instead hand anyone
 * with a stream of made-up tokens a way to burn our CPU (a DoS vector).
 */
export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function newDeviceToken(): IssuedDeviceToken {
  const token = `${DEVICE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  return { token, hash: hashDeviceToken(token) }
}

/** Shape only (no lookup): lets a caller refuse garbage before it reaches the database. */
export function isDeviceTokenShaped(value: string): boolean {
  return DEVICE_TOKEN_PATTERN.test(value)
}
