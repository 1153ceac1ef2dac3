import { z } from 'zod'

/**
 * A service centre's expected demand per day (`GET /api/service-centers/{id}/forecast`), the shape
 * the manufacturing dashboard's forecast view reads. Days are the centre's own calendar days.
 */
export const ForecastDaySchema = z.object({
  date: z.string().describe("the centre's local calendar day, YYYY-MM-DD"),
  expected: z
    .number()
    .min(0)
    .describe('expected visits: booked + (pending + open episodes + new faults) x booking share'),
  expected_low: z.number().int().min(0).describe('lower end of the 80 % interval of visits'),
  expected_high: z.number().int().min(0).describe('upper end of the 80 % interval of visits'),
  booked: z.number().int().min(0).describe('CONFIRMED (or COMPLETED) bookings that day'),
  pending: z.number().int().min(0).describe('PENDING proposals that day, counted at the booking share'),
  new_faults: z
    .number()
    .min(0)
    .describe("visits of faults not yet detected, from the fleet's recent episode rate (part of expected)"),
  capacity: z.number().int().min(0).describe('bays x slot starts that day'),
  overloaded: z.boolean().describe('expected > capacity'),
  at_risk: z.boolean().describe('expected_high > capacity (the interval reaches past capacity)'),
})
export type ForecastDay = z.infer<typeof ForecastDaySchema>

export const BookingShareSchema = z.object({
  value: z.number().min(0).max(1).describe('share of owners who book, with the prior'),
  low: z.number().min(0).max(1),
  high: z.number().min(0).max(1),
  episodes: z.number().int().min(0).describe('decided past episodes it was learned from'),
  booked: z.number().int().min(0).describe('of them, those that led to a confirmed booking'),
})
export type BookingShare = z.infer<typeof BookingShareSchema>

export const DemandForecastSchema = z
  .object({
    center_id: z.uuid(),
    generated_at: z.string(),
    timezone: z.string(),
    horizon_days: z.number().int(),
    booking_share: BookingShareSchema,
    /** Open, unbooked episodes that contribute (their share routed to this centre). */
    open_episodes: z.number().min(0),
    /** New maintenance episodes per day routed here, before the booking share. */
    arrivals_per_day: z.number().min(0),
    days: z.array(ForecastDaySchema),
    warnings: z.array(z.string()).describe('plain words: thin history, overloaded days, unknown RUL'),
  })
  .meta({ id: 'DemandForecast' })
export type DemandForecast = z.infer<typeof DemandForecastSchema>
