import { z } from 'zod'
import { SeveritySchema } from '../domain.js'
import { TelemetryReadingSchema } from './telemetry.js'

export const ReadingSchema = TelemetryReadingSchema.meta({ id: 'Reading' })

export const VehicleHealthSchema = z.object({
  status: z.enum(['ok', 'warning', 'critical', 'unknown']),
  open_alarms: z.number().int(),
  worst_severity: SeveritySchema.nullable(),
  rul_days: z.number().nullable(),
})

export const VehicleSchema = z
  .object({
    id: z.uuid(),
    vin: z.string(),
    model: z.string(),
    year: z.number().int().nullable(),
    batch: z.string().nullable(),
    vehicle_type: z.enum(['EV', 'ICE']),
    owner_id: z.uuid(),
    last_reading_at: z.string().nullable(),
    health: VehicleHealthSchema,
    latest: ReadingSchema.nullable(),
  })
  .meta({ id: 'Vehicle' })

export type VehicleDto = z.infer<typeof VehicleSchema>
