import type { Db } from '../client.js'
import type { ServiceCenter } from '../schema.js'

export function serviceCentersRepository(db: Db) {
  return {
    listCenters(): Promise<ServiceCenter[]> {
      return db.selectFrom('service_centers').selectAll().orderBy('name').execute()
    },

    getCenter(id: string): Promise<ServiceCenter | undefined> {
      return db.selectFrom('service_centers').selectAll().where('id', '=', id).executeTakeFirst()
    },
  }
}

export type ServiceCentersRepository = ReturnType<typeof serviceCentersRepository>
