import { SEVERITY_RANK } from '../../domain.js'
import { AppError } from '../../errors.js'
import { slotAtCentre } from '../../lib/zoned-time.js'
import type { AgentHandle } from './capabilities.js'
import type { OfferedSlot, VehicleState, VehicleStateUpdate } from './state.js'

/**
 * The scheduling node's work: reserve the earliest free slot as a PENDING proposal (or keep the
 * one the vehicle holds) and put it on the owner's alert as buttons, each slot worded alike.
 */
export async function proposeService(
  data: AgentHandle<'scheduling'>,
  state: VehicleState,
  now: Date,
): Promise<VehicleStateUpdate> {
  // One proposal per vehicle at a time: an upcoming booking already covers this episode.
  const existing = await data.findUpcomingBooking(state.vehicle_id, now)
  // The owner turned this episode's proposal down: they are asked again only above that severity.
  const declinedAt = state.owner_declined_severity
  const declined = declinedAt !== null && SEVERITY_RANK[state.severity] <= SEVERITY_RANK[declinedAt]
  let bookingId = existing?.id ?? null
  // The slot the owner is asked to approve, in its centre's zone: a proposal made now, or the
  // booking an earlier run (the episode before it escalated) already holds.
  let held = existing
    ? {
        start: new Date(existing.appointment_time).toISOString(),
        timezone: existing.center_timezone,
        centre: existing.center_name,
        centreId: existing.service_center_id,
      }
    : null
  let offered: OfferedSlot[] = []
  let proposed = false
  let limited = false
  if (!existing && !declined) {
    // Urgent episodes reach this node: their severity takes the earliest slots, overloaded or not.
    const slots = await data.availableSlots(undefined, now, {
      days: 14,
      limit: 12,
      severity: state.severity,
    })
    for (const slot of slots) {
      try {
        const { booking } = await data.book(slot.start, state.vehicle_id, {
          serviceCenterId: slot.service_center_id,
          source: 'agent',
          anomalyEventId: state.anomaly_event_id,
          status: 'PENDING',
          notes: `Proposed by Autonoma: ${state.diagnosis_text ?? state.anomaly_reason ?? 'anomaly'}`,
        })
        bookingId = booking.id
        proposed = true
        held = {
          start: slot.start,
          timezone: slot.timezone,
          centre: slot.service_center_name,
          centreId: slot.service_center_id,
        }
        break
      } catch (err) {
        // Someone took the slot between reading and booking: try the next one. At the
        // vehicle's limit of open bookings no other slot helps: propose none.
        if (err instanceof AppError && err.code === 'TOO_MANY_OPEN_BOOKINGS') {
          limited = true
          break
        }
        if (
          !(err instanceof AppError && (err.code === 'SLOT_TAKEN' || err.code === 'VEHICLE_ALREADY_BOOKED'))
        )
          throw err
      }
    }
    // The alternatives are other slots than the one just reserved.
    offered = slots
      .filter((s) => !(held && s.start === held.start && s.service_center_id === held.centreId))
      .slice(0, 2)
      .map(({ free_bays: _f, ...s }) => s)
  }
  if (state.chat_message_id && bookingId && held) {
    await data.setActions(
      state.chat_message_id,
      [
        {
          type: 'confirm_booking',
          booking_id: bookingId,
          label: `Approve service on ${slotAtCentre(held.start, held.timezone, held.centre)}`,
        },
        ...offered.map((s) => ({
          type: 'book_slot' as const,
          slot_time: s.start,
          service_center_id: s.service_center_id,
          label: slotAtCentre(s.start, s.timezone, s.service_center_name),
        })),
        { type: 'decline' as const, booking_id: bookingId, label: 'Not now' },
      ],
      bookingId,
    )
  }
  const note = bookingId
    ? `Service proposed (booking ${bookingId})`
    : declined
      ? `The owner declined the proposed service at ${declinedAt}: not asked again until it escalates`
      : limited
        ? 'The vehicle holds as many open bookings as allowed: no new proposal'
        : 'No free service slot in the next 14 days'
  return {
    booking_id: bookingId,
    booking_proposed: proposed,
    offered_slots: offered,
    messages: [{ role: 'system', node: 'scheduling', content: note }],
  }
}
