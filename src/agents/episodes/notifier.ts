import type { Repositories } from '../../db/repositories/index.js'
import type { AnomalyEvent, UebaLogEntry } from '../../db/schema.js'
import type { EventBus } from '../../ingest/event-bus.js'
import { messages } from '../../ingest/messages.js'
import type { VehicleLiveState } from '../../ingest/pipeline.js'
import { alertHeadline } from '../../lib/alert-headline.js'
import { slotAtCentre } from '../../lib/zoned-time.js'
import { storyOf } from '../../schemas/episode-story.js'
import type { VehicleState } from '../graph/state.js'
import type { HeldNotice } from './storm-guard.js'

type Vehicle = VehicleLiveState['vehicle']

export const FALLBACK_TEXT =
  'We have noticed a possible issue with your vehicle. Our service team will contact you shortly ' +
  'to arrange a check; no action is needed from you right now.'

/**
 * What the agents tell people, in one place: the episode manager decides when, this builds the
 * messages (through the contract's builders) and publishes them.
 */
export class Notifier {
  constructor(
    private readonly deps: {
      bus: EventBus
      repos: Pick<Repositories, 'chat' | 'bookings'>
    },
  ) {}

  /**
   * The diagnosis is stored: the owner and staff hear of the episode, told from its alarm row (the
   * one source of its severity, estimate and headline, read when the run started) and the
   * diagnosis the run just stored (the latest), not re-read: the alert is on the latency path.
   */
  async alert(state: VehicleState, vehicle: Vehicle, row: AnomalyEvent | undefined): Promise<void> {
    const id = state.anomaly_event_id
    if (!id || !row) return
    const story = storyOf(row, {
      diagnosis_text: state.diagnosis_text ?? '',
      recommended_action: state.recommended_action,
    })
    this.deps.bus.publish(
      messages.alert(
        {
          vin: vehicle.vin,
          vehicle_model: vehicle.model,
          anomaly_event_id: id,
          anomaly_type: row.anomaly_type,
          ...story,
          diagnosis: story.diagnosis ?? '',
          reason: row.reason ?? state.anomaly_reason ?? '',
          rul: story.rul_days,
          signals: (row.signals as VehicleState['signals']) ?? state.signals,
          trigger: state.trigger,
        },
        // A run the owner is not told of (past their limit) still alerts staff.
        state.notify_owner ? vehicle.ownerId : null,
      ),
    )
  }

  /** A run ended: the owner gets the agent's message and the proposed booking, if any. */
  async announce(final: VehicleState, vehicle: Vehicle): Promise<void> {
    if (final.chat_message_id) {
      const message = await this.deps.repos.chat.getMessage(final.chat_message_id)
      if (message) this.deps.bus.publish(messages.chat(message, vehicle))
    }
    // Only the run that proposed the booking sends it: later runs of the vehicle find it upcoming.
    if (final.booking_id && final.booking_proposed) {
      const booking = await this.deps.repos.bookings.findVisible(undefined, final.booking_id)
      if (booking) this.deps.bus.publish(messages.booking(booking))
    }
  }

  /**
   * A run the UEBA gate stopped: the owner still hears, in fixed words no agent wrote, that
   * people will take it from here (once per episode and severity).
   */
  async fallback(final: VehicleState, vehicle: Vehicle): Promise<void> {
    const eventId = final.anomaly_event_id
    if (!eventId) return
    const message = await this.deps.repos.chat.addMessage({
      vehicleId: vehicle.id,
      sender: 'agent',
      content: FALLBACK_TEXT,
      intent: 'fallback',
      anomalyEventId: eventId,
      dedupeKey: `fallback:${eventId}:${final.severity}`,
    })
    this.deps.bus.publish(messages.chat(message, vehicle))
  }

  /** What the owner was not told one by one (past their limit), in one message. */
  async digest(vehicle: Vehicle, notices: readonly HeldNotice[], count: number): Promise<void> {
    const lines = notices.map((n) => `- ${n.headline} (${n.severity})`)
    const content =
      `${count === 1 ? 'One more alert' : `${count} more alerts`} about your ${vehicle.model} (${vehicle.vin}) ` +
      `since my last messages:\n${lines.join('\n')}\nOpen the vehicle's alarms for the details.`
    const message = await this.deps.repos.chat.addMessage({
      vehicleId: vehicle.id,
      sender: 'agent',
      content,
      intent: 'digest',
    })
    this.deps.bus.publish(messages.chat(message, vehicle))
  }

  /** An episode flagged as flapping: staff hear of it, the owner is not told again. */
  flapping(event: AnomalyEvent, vehicle: Vehicle): void {
    this.deps.bus.publish(
      messages.alarm(
        {
          id: event.id,
          vin: vehicle.vin,
          status: event.status,
          severity: event.severity,
          anomaly_type: event.anomaly_type,
          flapping: true,
        },
        null,
      ),
    )
  }

  /**
   * The episode recovered before the owner answered the agent's proposals: the owner and the desk
   * see them CANCELLED, and the owner is told why in one message, so a booking never just vanishes.
   */
  async proposalsWithdrawn(event: AnomalyEvent, vehicle: Vehicle, ids: readonly string[]): Promise<void> {
    const slots: string[] = []
    for (const id of ids) {
      const row = await this.deps.repos.bookings.findVisible(undefined, id)
      if (!row) continue
      this.deps.bus.publish(messages.booking(row))
      slots.push(slotAtCentre(row.appointment_time, row.service_center_timezone, row.service_center_name))
    }
    if (slots.length === 0) return
    const content =
      `Good news: "${alertHeadline(event.anomaly_type, [])}" on your ${vehicle.model} has cleared on its own, so I have ` +
      `withdrawn the service I proposed for ${slots.join(' and ')}. If it comes back I will tell you ` +
      'straight away, and you can still book a check whenever you like.'
    const message = await this.deps.repos.chat.addMessage({
      vehicleId: vehicle.id,
      sender: 'agent',
      content,
      intent: 'proposal_withdrawn',
      anomalyEventId: event.id,
      dedupeKey: `withdrawn:${event.id}`,
    })
    this.deps.bus.publish(messages.chat(message, vehicle))
  }

  /** The readings recovered and the episode closed. */
  resolved(event: AnomalyEvent, vehicle: Vehicle): void {
    this.deps.bus.publish(
      messages.alarm(
        {
          id: event.id,
          vin: vehicle.vin,
          status: 'RESOLVED',
          severity: event.severity,
          anomaly_type: event.anomaly_type,
        },
        vehicle.ownerId,
      ),
    )
  }

  /**
   * Every audit row goes to manufacturers; an agent stopped or a role overstepped is also a
   * security event for staff (not every failed login or bad token: those are for the log).
   */
  uebaLogged(log: UebaLogEntry, vin: string | null): void {
    this.deps.bus.publish(messages.ueba(log, vin))
    const alarming =
      log.actor_kind === 'agent' || log.reason === 'FORBIDDEN' || log.action_type === 'ueba_response'
    if (log.status === 'BLOCKED' && alarming) this.deps.bus.publish(messages.security(log, vin))
  }
}
