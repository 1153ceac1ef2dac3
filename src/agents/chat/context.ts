import { SEVERITY_RANK } from '../../domain.js'
import { chatIdempotencyKey } from './keys.js'
import type { ChatEnv, ChatRequest, Context } from './types.js'

/** Reads what the agent knows about the vehicle for one turn: open issues, live bookings, history. */
export async function loadContext(env: ChatEnv, req: ChatRequest): Promise<Context> {
  const { repos } = env.deps
  const [events, live, centers, history] = await Promise.all([
    repos.anomalies.listForVehicle(req.vehicle.id),
    repos.bookings.listVisible(req.user, {
      vehicleId: req.vehicle.id,
      statuses: ['PENDING', 'CONFIRMED'],
      from: env.now(),
    }),
    repos.serviceCenters.listCenters(),
    repos.chat.listForVehicle(req.vehicle.id, 30),
  ])
  // An episode that recovered on its own while a service for it is still booked is not fixed:
  // the cause (a worn part, a latent defect) is still there, so it still needs attention.
  const booked = new Set(live.map((b) => b.anomaly_event_id).filter(Boolean))
  // Newest first from the repository; a stable sort keeps the newest of the worst severity on top.
  const open = events
    .filter((e) => e.status !== 'RESOLVED' || (e.resolution === 'recovered' && booked.has(e.id)))
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
  const worst = open[0]
  // Read after the rest on purpose: the parallel reads above may straddle a concurrent retry's
  // commit, and a booking seen here means this turn's key has already been answered.
  const key = req.idempotencyKey ? chatIdempotencyKey(req.idempotencyKey) : undefined
  const earlier = key ? await repos.bookings.findByIdempotencyKey(req.user.id, key) : undefined
  return {
    req,
    open,
    worst,
    diagnosis: worst ? (await repos.diagnoses.listForEvent(worst.id))[0] : undefined,
    pending: live.find((b) => b.status === 'PENDING'),
    confirmed: live.find((b) => b.status === 'CONFIRMED'),
    live,
    centers: new Map(centers.map((c) => [c.id, { name: c.name, timezone: c.timezone }])),
    history,
    retried: earlier ? await repos.bookings.findVisible(req.user, earlier.id) : undefined,
    changed: [],
  }
}
