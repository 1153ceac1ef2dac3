import type { Db } from '../client.js'
import type { NewVehicle, Vehicle } from '../schema.js'

/** Device credentials: one token hash per vehicle (see `auth/device-tokens.ts`). */
export function devicesRepository(db: Db) {
  return {
    /** Creates a vehicle and its credential together: a vehicle never exists without one. */
    createVehicleWithCredential(vehicle: NewVehicle, tokenHash: string): Promise<Vehicle> {
      return db.transaction().execute(async (trx) => {
        const row = await trx.insertInto('vehicles').values(vehicle).returningAll().executeTakeFirstOrThrow()
        await trx
          .insertInto('device_credentials')
          .values({ vehicle_id: row.id, token_hash: tokenHash })
          .execute()
        return row
      })
    },

    /** Issues or replaces the vehicle's credential; the previous hash is gone in the same statement. */
    async setCredential(vehicleId: string, tokenHash: string): Promise<Date> {
      const row = await db
        .insertInto('device_credentials')
        .values({ vehicle_id: vehicleId, token_hash: tokenHash })
        .onConflict((oc) =>
          oc.column('vehicle_id').doUpdateSet({ token_hash: tokenHash, issued_at: new Date() }),
        )
        .returning('issued_at')
        .executeTakeFirstOrThrow()
      return row.issued_at
    },

    /** The active (not decommissioned) vehicle whose credential has this hash, by the unique index. */
    findActiveVehicleByTokenHash(tokenHash: string): Promise<Vehicle | undefined> {
      return db
        .selectFrom('device_credentials')
        .innerJoin('vehicles', 'vehicles.id', 'device_credentials.vehicle_id')
        .selectAll('vehicles')
        .where('device_credentials.token_hash', '=', tokenHash)
        .where('vehicles.decommissioned_at', 'is', null)
        .executeTakeFirst()
    },

    /** Active vehicles that have no credential yet (a database seeded before credentials existed). */
    listActiveWithoutCredential(): Promise<Vehicle[]> {
      return db
        .selectFrom('vehicles')
        .selectAll()
        .where('decommissioned_at', 'is', null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('device_credentials')
                .select('vehicle_id')
                .whereRef('vehicle_id', '=', 'vehicles.id'),
            ),
          ),
        )
        .orderBy('vin')
        .execute()
    },

    getCredential(vehicleId: string) {
      return db
        .selectFrom('device_credentials')
        .selectAll()
        .where('vehicle_id', '=', vehicleId)
        .executeTakeFirst()
    },
  }
}

export type DevicesRepository = ReturnType<typeof devicesRepository>
