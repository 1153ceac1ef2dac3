import { z } from 'zod'
import { BOOKING_STATUSES, type BookingStatus, SeveritySchema } from '../domain.js'
import { AppError } from '../errors.js'
import { DateTimeSchema, VinSchema } from './common.js'

export const BookingStatusSchema = z.enum(BOOKING_STATUSES)

export const BookingSchema = z
  .object({
    id: z.uuid(),
    vehicle_id: z.uuid(),
    vin: z.string(),
    vehicle_model: z.string(),
    owner_id: z.uuid(),
    service_center_id: z.uuid(),
    service_center_name: z.string(),
    service_center_timezone: z.string(),
    appointment_time: z.string(),
    appointment_label: z
      .string()
      .describe("The appointment as people read it, in the centre's time zone: 'Tue 5 Mar, 10:00 CET'"),
    slot_label: z
      .string()
      .describe(
        "The appointment with its centre, as chat, proposals and the history word it: 'Tue 5 Mar, 10:00 CET (Hub North)'",
      ),
    bay: z.number().int(),
    status: BookingStatusSchema,
    customer_notes: z.string().nullable(),
    source: z.enum(['customer', 'agent', 'chat']),
    anomaly_event_id: z.uuid().nullable(),
    anomaly_severity: SeveritySchema.nullable().describe('the severity of the alarm it was booked for, now'),
    owner_name: z.string().describe('who the service desk calls about it'),
    owner_email: z.string(),
    service_notes: z.string().nullable().describe('what the workshop wrote when it completed the booking'),
    completed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    allowed_transitions: z
      .array(BookingStatusSchema)
      .describe("The statuses the caller's role may move this booking to now"),
  })
  .meta({ id: 'Booking' })

export type BookingDto = z.infer<typeof BookingSchema>

export const CreatedBookingSchema = BookingSchema.extend({ booking_id: z.uuid() })

export const BookingParamsSchema = z.object({ id: z.uuid() })

export const BookingListQuerySchema = z.object({
  status: z
    .string()
    .max(200)
    .optional()
    .describe(`One status or a comma list of ${BOOKING_STATUSES.join(', ')}`),
  vehicle_id: z.uuid().optional(),
  service_center_id: z.uuid().optional(),
  from: DateTimeSchema.optional(),
  to: DateTimeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

/**
 * `?status=PENDING,CONFIRMED` as a list. Parsed here rather than by the schema so the error can
 * name the offending value in its message, not only in the details.
 */
export function parseStatusList(raw: string | undefined): BookingStatus[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const values = raw.split(',').map((v) => v.trim().toUpperCase())
  const bad = values.find((v) => !(BOOKING_STATUSES as readonly string[]).includes(v))
  if (bad !== undefined) {
    const message = `unknown status ${JSON.stringify(bad.slice(0, 40))}; use ${BOOKING_STATUSES.join(', ')}`
    throw new AppError('VALIDATION_FAILED', `Invalid querystring.status: ${message}`, {
      fields: [{ field: 'querystring.status', message }],
    })
  }
  return [...new Set(values as BookingStatus[])]
}

export const CreateBookingBodySchema = z
  .object({
    vehicle_id: z.uuid().optional(),
    vin: VinSchema.optional(),
    slot_time: DateTimeSchema,
    service_center_id: z.uuid().optional(),
    notes: z.string().trim().max(1000).optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.vehicle_id === undefined) === (body.vin === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['vehicle_id'], message: 'give exactly one of vehicle_id or vin' })
    }
  })

export const CreateBookingHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\x20-\x7e]+$/, 'printable ASCII only')
    .optional()
    .describe('Repeat a request with the same key to get the first booking back instead of a second one'),
})

export const UpdateBookingBodySchema = z.object({
  status: BookingStatusSchema,
  notes: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .optional()
    .describe('with COMPLETED: what the workshop did (kept on the booking and in the vehicle timeline)'),
})

export const ServiceCenterSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    city: z.string(),
    bays: z.number().int(),
    opening_hour: z.number().int(),
    closing_hour: z.number().int(),
    slot_minutes: z.number().int(),
    timezone: z.string(),
  })
  .meta({ id: 'ServiceCenter' })

export const SlotSchema = z
  .object({
    service_center_id: z.uuid(),
    service_center_name: z.string(),
    /** The centre's time zone: slots are shown to people in it, with its label. */
    timezone: z.string(),
    start: z.string(),
    end: z.string(),
    free_bays: z.number().int(),
  })
  .meta({ id: 'Slot' })

/** A bookable start time at one centre, with its free bays. */
export type Slot = z.infer<typeof SlotSchema>

export const ServiceCenterParamsSchema = z.object({ id: z.uuid() })

export const SlotsQuerySchema = z.object({
  from: DateTimeSchema.optional(),
  days: z.coerce.number().int().min(1).max(31).default(7),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
})

export const FeedbackBodySchema = z.object({
  rating: z.number().int().min(1).max(5).describe('1 (poor) to 5 (excellent)'),
  comment: z.string().trim().max(2000).optional(),
})

export const FeedbackSchema = z
  .object({
    id: z.uuid(),
    booking_id: z.uuid(),
    rating: z.number().int(),
    comment: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Feedback' })
export type FeedbackDto = z.infer<typeof FeedbackSchema>

/** A booking's rating, or null before the owner gave one (not a 404: an unrated service is normal). */
export const GivenFeedbackSchema = z.object({ feedback: FeedbackSchema.nullable() })
