import { z } from 'zod'
import { SeveritySchema } from '../domain.js'
import { VinSchema } from './common.js'
import { RulEstimateSchema } from './rul.js'
import { TelemetryReadingSchema } from './telemetry.js'

export const ReadingSchema = TelemetryReadingSchema.meta({ id: 'Reading' })

export const DataQualitySchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    issues: z.array(z.object({ kind: z.enum(['stale', 'stuck', 'implausible']), detail: z.string() })),
    invalid_values: z
      .record(z.string(), z.number().int())
      .describe('physically implausible values per signal since the service started (stored as null)'),
    invalid_share: z.number().describe('share of the recent readings with an implausible value'),
    alarm_id: z.uuid().nullable().describe('the open data-quality alarm, if any'),
  })
  .meta({ id: 'DataQuality' })

export const VehicleHealthSchema = z.object({
  status: z.enum(['ok', 'warning', 'critical', 'unknown']),
  /** Maintenance alarms only; a data-quality alarm is in `data_quality`. */
  open_alarms: z.number().int(),
  worst_severity: SeveritySchema.nullable(),
  /** The worst open alarm's remaining useful life, from its row; all null without an open alarm. */
  ...RulEstimateSchema.shape,
  rul_alarm_id: z.uuid().nullable().describe('the alarm the RUL belongs to'),
  headline: z.string().nullable().describe("that alarm's headline, the alert's words; null without one"),
  diagnosis: z.string().nullable().describe("that alarm's latest diagnosis"),
  data_quality: DataQualitySchema.nullable().describe(
    'staff only (null for owners, and for a vehicle that has not reported since the start)',
  ),
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
    decommissioned_at: z
      .string()
      .nullable()
      .describe('when the vehicle left the fleet; its history stays, its device intake is closed'),
  })
  .meta({ id: 'Vehicle' })

export type VehicleDto = z.infer<typeof VehicleSchema>

const ModelSchema = z.string().trim().min(1).max(100)
const YearSchema = z.number().int().min(1990).max(2100)
const BatchSchema = z
  .string()
  .trim()
  .regex(/^B-[0-9]{4}-[0-9]{2}$/, 'a production batch looks like B-2025-01')
const OwnerSchema = z
  .string()
  .trim()
  .min(1)
  .max(254)
  .describe("the owner's user id or email (a customer account)")

/** The spec's VehicleCreate. */
export const VehicleCreateSchema = z
  .object({
    vin: VinSchema,
    owner: OwnerSchema,
    model: ModelSchema,
    year: YearSchema.nullable().optional(),
    batch: BatchSchema.nullable().optional(),
    vehicle_type: z.enum(['EV', 'ICE']).default('EV'),
  })
  .meta({ id: 'VehicleCreate' })

export const VehicleUpdateSchema = z
  .object({
    owner: OwnerSchema,
    model: ModelSchema,
    year: YearSchema.nullable(),
    batch: BatchSchema.nullable(),
    vehicle_type: z.enum(['EV', 'ICE']),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' })
  .meta({ id: 'VehicleUpdate' })

const DeviceTokenSchema = z
  .string()
  .describe('the device token, shown this once: only its hash is stored. Send it as `Authorization: Bearer`')

/** The spec's VehicleResponse on creation: the vehicle and its first device token. */
export const VehicleCreatedSchema = VehicleSchema.extend({ device_token: DeviceTokenSchema }).meta({
  id: 'VehicleCreated',
})

export const DeviceCredentialSchema = z
  .object({ vin: z.string(), device_token: DeviceTokenSchema, issued_at: z.string() })
  .meta({ id: 'DeviceCredential' })
