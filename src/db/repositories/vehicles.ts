import type { Role } from '../../domain.js'
import type { Db } from '../client.js'
import type { NewVehicle, Vehicle, VehicleUpdate } from '../schema.js'

/** Who is asking. Ownership is applied inside the query, so another owner's row is never read. */
export interface Viewer {
  id: string
  role: Role
}

export function vehiclesRepository(db: Db) {
  const visibleTo = (viewer: Viewer) => {
    const q = db.selectFrom('vehicles').selectAll()
    return viewer.role === 'customer' ? q.where('owner_id', '=', viewer.id) : q
  }

  return {
    createVehicle(vehicle: NewVehicle): Promise<Vehicle> {
      return db.insertInto('vehicles').values(vehicle).returningAll().executeTakeFirstOrThrow()
    },

    /**
     * The vehicles a viewer lists: staff see the whole fleet, decommissioned vehicles included
     * (marked by `decommissioned_at`); an owner sees only their active ones.
     */
    listVisible(viewer: Viewer): Promise<Vehicle[]> {
      const q = visibleTo(viewer)
      return (viewer.role === 'customer' ? q.where('decommissioned_at', 'is', null) : q)
        .orderBy('vin')
        .execute()
    },

    findVisibleByVin(viewer: Viewer, vin: string): Promise<Vehicle | undefined> {
      return visibleTo(viewer).where('vin', '=', vin.toUpperCase()).executeTakeFirst()
    },

    findVisibleById(viewer: Viewer, id: string): Promise<Vehicle | undefined> {
      return visibleTo(viewer).where('id', '=', id).executeTakeFirst()
    },

    /** Every vehicle, decommissioned ones included. */
    listAll(): Promise<Vehicle[]> {
      return db.selectFrom('vehicles').selectAll().orderBy('vin').execute()
    },

    /** The vehicles that take readings, for the ingestion pipeline's directory (VIN -> id, owner). */
    listActive(): Promise<Vehicle[]> {
      return db
        .selectFrom('vehicles')
        .selectAll()
        .where('decommissioned_at', 'is', null)
        .orderBy('vin')
        .execute()
    },

    getByVin(vin: string): Promise<Vehicle | undefined> {
      return db.selectFrom('vehicles').selectAll().where('vin', '=', vin).executeTakeFirst()
    },

    updateByVin(vin: string, patch: VehicleUpdate): Promise<Vehicle | undefined> {
      return db.updateTable('vehicles').set(patch).where('vin', '=', vin).returningAll().executeTakeFirst()
    },

    /** Marks the vehicle decommissioned (once: a second call keeps the first time). */
    async decommission(vin: string): Promise<Vehicle | undefined> {
      const row = await db
        .updateTable('vehicles')
        .set({ decommissioned_at: new Date() })
        .where('vin', '=', vin)
        .where('decommissioned_at', 'is', null)
        .returningAll()
        .executeTakeFirst()
      return row ?? (await this.getByVin(vin))
    },
  }
}

export type VehiclesRepository = ReturnType<typeof vehiclesRepository>
