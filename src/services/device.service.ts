import { hashDeviceToken, isDeviceTokenShaped, newDeviceToken } from '../auth/device-tokens.js'
import type { Repositories } from '../db/repositories/index.js'

/** The vehicle a device request speaks for, put on the request by the access plugin. */
export interface AuthDevice {
  vehicleId: string
  vin: string
  ownerId: string
}

export interface IssuedCredential {
  vin: string
  /** The token in clear: returned to the caller once, never stored or logged. */
  deviceToken: string
  issuedAt: Date
}

export interface DeviceServiceOptions {
  /** How long a successful lookup is trusted without asking the database again. */
  cacheTtlMs?: number
  /** Entries kept at most (oldest dropped first). */
  cacheSize?: number
  now?: () => number
}

export interface DeviceStats {
  lookups: number
  cacheHits: number
  failures: number
  cached: number
}

interface CacheEntry {
  device: AuthDevice
  expiresAt: number
}

/**
 * Device credentials: issue, rotate, authenticate. A token is looked up by the SHA-256 of it
 * (see `auth/device-tokens.ts` for why not argon2), and good answers are cached briefly so a unit
 * sending every second does not cost a query each time. Rotation and decommissioning drop the
 * vehicle's entry at once, so an old token stops working on the next request. (One process holds
 * the cache; with several instances the TTL bounds how long another one could still accept it.)
 */
export class DeviceService {
  private readonly cache = new Map<string, CacheEntry>()
  /** vehicle id -> the hash cached for it, for invalidation. */
  private readonly hashByVehicle = new Map<string, string>()
  private readonly ttlMs: number
  private readonly size: number
  private readonly now: () => number
  private readonly stats_ = { lookups: 0, cacheHits: 0, failures: 0 }
  /** Bumped by every invalidation: a lookup that raced one is answered but not cached. */
  private generation = 0

  constructor(
    private readonly repos: Pick<Repositories, 'devices'>,
    options: DeviceServiceOptions = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 30_000
    this.size = options.cacheSize ?? 10_000
    this.now = options.now ?? Date.now
  }

  get stats(): DeviceStats {
    return { ...this.stats_, cached: this.cache.size }
  }

  /** A fresh token and its hash, for a vehicle about to be created with it. */
  newToken(): { token: string; hash: string } {
    return newDeviceToken()
  }

  /**
   * Gives the vehicle a new token, replacing any previous one (rotation): from the moment this
   * resolves, the old token is refused.
   */
  async issue(vehicle: { id: string; vin: string }): Promise<IssuedCredential> {
    const { token, hash } = newDeviceToken()
    const issuedAt = await this.repos.devices.setCredential(vehicle.id, hash)
    this.invalidate(vehicle.id)
    return { vin: vehicle.vin, deviceToken: token, issuedAt }
  }

  /** Same as `issue`: named for the caller who replaces a leaked or lost token. */
  rotate(vehicle: { id: string; vin: string }): Promise<IssuedCredential> {
    return this.issue(vehicle)
  }

  /** The active vehicle this token belongs to, or undefined (unknown, rotated out, decommissioned). */
  async authenticate(token: string): Promise<AuthDevice | undefined> {
    this.stats_.lookups++
    if (!isDeviceTokenShaped(token)) {
      this.stats_.failures++
      return undefined
    }
    const hash = hashDeviceToken(token)
    const hit = this.cache.get(hash)
    if (hit && hit.expiresAt > this.now()) {
      this.stats_.cacheHits++
      return hit.device
    }
    if (hit) this.drop(hash)
    const generation = this.generation
    const vehicle = await this.repos.devices.findActiveVehicleByTokenHash(hash)
    if (!vehicle) {
      this.stats_.failures++
      return undefined
    }
    const device = { vehicleId: vehicle.id, vin: vehicle.vin, ownerId: vehicle.owner_id }
    if (generation === this.generation) this.remember(hash, device)
    return device
  }

  /** Forgets what is cached for the vehicle (its token was rotated or it was decommissioned). */
  invalidate(vehicleId: string): void {
    this.generation++
    const hash = this.hashByVehicle.get(vehicleId)
    if (hash) this.drop(hash)
  }

  private remember(hash: string, device: AuthDevice): void {
    const previous = this.hashByVehicle.get(device.vehicleId)
    if (previous) this.drop(previous)
    if (this.cache.size >= this.size) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) this.drop(oldest)
    }
    this.cache.set(hash, { device, expiresAt: this.now() + this.ttlMs })
    this.hashByVehicle.set(device.vehicleId, hash)
  }

  private drop(hash: string): void {
    const entry = this.cache.get(hash)
    this.cache.delete(hash)
    if (entry && this.hashByVehicle.get(entry.device.vehicleId) === hash) {
      this.hashByVehicle.delete(entry.device.vehicleId)
    }
  }
}
