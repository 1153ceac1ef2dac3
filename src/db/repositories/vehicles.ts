import type { Role } from '../../domain.js'
import type { Db } from '../client.js'
import type { NewVehicle, Vehicle } from '../schema.js'

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

    listVisible(viewer: Viewer): Promise<Vehicle[]> {
      return visibleTo(viewer).orderBy('vin').execute()
    },

    findVisibleByVin(viewer: Viewer, vin: string): Promise<Vehicle | undefined> {
      return visibleTo(viewer).where('vin', '=', vin.toUpperCase()).executeTakeFirst()
    },

    findVisibleById(viewer: Viewer, id: string): Promise<Vehicle | undefined> {
      return visibleTo(viewer).where('id', '=', id).executeTakeFirst()
    },

    /** Every vehicle, for the ingestion pipeline (VIN -> id, owner) at start-up. */
    listAll(): Promise<Vehicle[]> {
      return db.selectFrom('vehicles').selectAll().orderBy('vin').execute()
    },

    getByVin(vin: string): Promise<Vehicle | undefined> {
      return db.selectFrom('vehicles').selectAll().where('vin', '=', vin).executeTakeFirst()
    },
  }
}

export type VehiclesRepository = ReturnType<typeof vehiclesRepository>
