import { hashPassword } from '../auth/passwords.js'
import type { Repositories } from '../db/repositories/index.js'
import type { User, UserUpdate, Vehicle, VehicleUpdate } from '../db/schema.js'
import type { Role } from '../domain.js'
import { AppError } from '../errors.js'
import type { VehicleRef } from '../ingest/pipeline.js'
import type { DeviceService, IssuedCredential } from './device.service.js'

export interface NewAccount {
  email: string
  password: string
  role: Role
  name?: string
  serviceCenterId?: string | null
}

export interface AccountChanges {
  email?: string
  password?: string
  role?: Role
  name?: string
  serviceCenterId?: string | null
  /** True disables the account (its sessions end at once, sign-in is refused); false enables it. */
  disabled?: boolean
}

export interface NewFleetVehicle {
  vin: string
  /** The owner's user id or email. */
  owner: string
  model: string
  year?: number | null
  batch?: string | null
  vehicleType: 'EV' | 'ICE'
}

export type VehicleChanges = Partial<Omit<NewFleetVehicle, 'vin'>>

/** What of the ingestion pipeline onboarding needs: its in-memory directory of vehicles. */
export interface VehicleDirectory {
  upsertVehicle(vehicle: VehicleRef): void
  forgetVehicle(vin: string): void
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function ref(v: Vehicle): VehicleRef {
  return { id: v.id, vin: v.vin, ownerId: v.owner_id, model: v.model, batch: v.batch }
}

/**
 * Accounts and the fleet: who exists, which vehicles, whose they are, and taking a vehicle out.
 * Duplicate emails and VINs are left to the database's unique constraints (race-safe; the error
 * handler answers 409 ALREADY_EXISTS). Every change reaches the pipeline's directory at once.
 */
export class OnboardingService {
  constructor(
    private readonly deps: {
      repos: Pick<Repositories, 'users' | 'vehicles' | 'devices'>
      devices: DeviceService
      directory: VehicleDirectory
      /** Told when an account's tokens are revoked, so that this process stops trusting them now. */
      sessions: { revoked(userId: string): void }
    },
  ) {}

  async createUser(account: NewAccount): Promise<User> {
    return this.deps.repos.users.createUser({
      email: account.email,
      // argon2id, via the one password module; the hash never leaves the database layer's row.
      password_hash: await hashPassword(account.password),
      role: account.role,
      name: account.name ?? '',
      service_center_id: account.serviceCenterId ?? null,
    })
  }

  async updateUser(id: string, changes: AccountChanges): Promise<User> {
    const patch: UserUpdate = {}
    if (changes.email !== undefined) patch.email = changes.email
    if (changes.role !== undefined) patch.role = changes.role
    if (changes.name !== undefined) patch.name = changes.name
    if (changes.serviceCenterId !== undefined) patch.service_center_id = changes.serviceCenterId
    if (changes.password !== undefined) patch.password_hash = await hashPassword(changes.password)
    if (changes.disabled !== undefined) patch.disabled_at = changes.disabled ? new Date() : null
    // Whoever held the old role or password, or a disabled account, keeps no session.
    const revoke = changes.role !== undefined || changes.password !== undefined || changes.disabled === true
    const user = await this.deps.repos.users.updateUser(id, patch, revoke)
    if (!user) throw new AppError('USER_NOT_FOUND')
    if (revoke) this.deps.sessions.revoked(id)
    return user
  }

  /** Creates the vehicle with its first device token, and makes the pipeline know it at once. */
  async createVehicle(input: NewFleetVehicle): Promise<{ vehicle: Vehicle; deviceToken: string }> {
    const owner = await this.owner(input.owner)
    const { token, hash } = this.deps.devices.newToken()
    const vehicle = await this.deps.repos.devices.createVehicleWithCredential(
      {
        vin: input.vin,
        owner_id: owner.id,
        model: input.model,
        year: input.year ?? null,
        batch: input.batch ?? null,
        vehicle_type: input.vehicleType,
      },
      hash,
    )
    this.deps.directory.upsertVehicle(ref(vehicle))
    return { vehicle, deviceToken: token }
  }

  async updateVehicle(vin: string, changes: VehicleChanges): Promise<Vehicle> {
    const current = await this.active(vin)
    const patch: VehicleUpdate = {}
    if (changes.owner !== undefined) patch.owner_id = (await this.owner(changes.owner)).id
    if (changes.model !== undefined) patch.model = changes.model
    if (changes.year !== undefined) patch.year = changes.year
    if (changes.batch !== undefined) patch.batch = changes.batch
    if (changes.vehicleType !== undefined) patch.vehicle_type = changes.vehicleType
    const vehicle = await this.deps.repos.vehicles.updateByVin(current.vin, patch)
    if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
    this.deps.directory.upsertVehicle(ref(vehicle))
    this.deps.devices.invalidate(vehicle.id)
    return vehicle
  }

  /**
   * Takes the vehicle out of the fleet: the row and its history stay, its token stops working and
   * the pipeline refuses its readings from now on. Repeating it changes nothing.
   */
  async decommission(vin: string): Promise<Vehicle> {
    const vehicle = await this.deps.repos.vehicles.decommission(vin)
    if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
    this.deps.devices.invalidate(vehicle.id)
    this.deps.directory.forgetVehicle(vehicle.vin)
    return vehicle
  }

  /** A new device token for an active vehicle; the old one is refused from now on. */
  async rotateCredentials(vin: string): Promise<IssuedCredential> {
    return this.deps.devices.rotate(await this.active(vin))
  }

  private async active(vin: string): Promise<Vehicle> {
    const vehicle = await this.deps.repos.vehicles.getByVin(vin)
    if (!vehicle) throw new AppError('VEHICLE_NOT_FOUND')
    if (vehicle.decommissioned_at) throw new AppError('VEHICLE_DECOMMISSIONED')
    return vehicle
  }

  /** The owner named by id or email; a vehicle belongs to a customer account. */
  private async owner(idOrEmail: string): Promise<User> {
    const users = this.deps.repos.users
    const user = UUID.test(idOrEmail)
      ? await users.getUserById(idOrEmail)
      : await users.getUserByEmail(idOrEmail)
    if (!user) {
      throw new AppError('INVALID_REFERENCE', 'No user has that id or email', { field: 'owner' })
    }
    if (user.role !== 'customer') {
      throw new AppError('INVALID_REFERENCE', 'A vehicle is owned by a customer account', { field: 'owner' })
    }
    return user
  }
}
