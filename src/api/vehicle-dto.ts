import type { FastifyInstance } from 'fastify'
import type { Vehicle } from '../db/schema.js'
import { type Role, STAFF } from '../domain.js'
import { isoOrNull } from '../schemas/common.js'
import { headlineOf } from '../schemas/episode-story.js'
import type { VehicleDto } from '../schemas/vehicles.js'

const NO_RUL = { rul_days: null, rul_low_days: null, rul_high_days: null, rul_method: null, rul_limit: null }

/**
 * Vehicles with their live health (open alarms from the database, the rest from the pipeline's
 * memory). The data quality is for staff: an owner's DTO carries null there.
 */
export async function toVehicleDtos(
  app: FastifyInstance,
  vehicles: Vehicle[],
  role: Role,
): Promise<VehicleDto[]> {
  const staff = STAFF.includes(role)
  const summary = await app.services.repos.anomalies.openSummary(vehicles.map((v) => v.id))
  return vehicles.map((v) => {
    const live = app.services.pipeline.vehicleState(v.vin)
    const open = summary.get(v.id)
    const worst = open?.worst ?? null
    const status =
      worst === 'Critical' || worst === 'High'
        ? 'critical'
        : worst
          ? 'warning'
          : live?.latest
            ? 'ok'
            : 'unknown'
    return {
      id: v.id,
      vin: v.vin,
      model: v.model,
      year: v.year,
      batch: v.batch,
      vehicle_type: v.vehicle_type,
      owner_id: v.owner_id,
      last_reading_at: live?.latest?.timestamp ?? null,
      health: {
        status,
        open_alarms: open?.open ?? 0,
        worst_severity: worst,
        ...(open?.rul ?? NO_RUL),
        rul_alarm_id: open?.worstEventId ?? null,
        headline: open ? headlineOf({ anomaly_type: open.anomalyType, signals: open.signals }) : null,
        diagnosis: open?.diagnosis ?? null,
        data_quality: staff ? app.services.dataQuality.of(v.vin) : null,
      },
      latest: live?.latest ?? null,
      decommissioned_at: isoOrNull(v.decommissioned_at),
    }
  })
}
