/**
 * 10. Behaviour analytics' cost: µs of CPU per audit event observed (a mixed stream of agents,
 * users and devices, cold and with warm baselines), the hot-path checks (the auth path's user
 * standing, the gate's quarantine, the intake's throttle) in ns per call, an agent capability
 * call's mediation against a direct call, and persisting every entity (rows, JSON size, ms).
 */
import { randomUUID } from 'node:crypto'
import { AgentCapabilities } from '../src/agents/graph/capabilities.js'
import { BehaviourAnalytics } from '../src/agents/ueba/analytics.js'
import { UebaAgent } from '../src/agents/ueba/gate.js'
import { uebaEntitiesRepository } from '../src/db/repositories/ueba-entities.js'
import type { UebaLogEntry } from '../src/db/schema.js'
import { createBenchDatabase } from './lib/db.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'

const bench = new Bench('ueba')
const EVENTS = QUICK ? 50_000 : 300_000
const USERS = 1000
const DEVICES = 5000
const AGENTS = ['data_analysis', 'diagnosis', 'customer_engagement', 'scheduling', 'rca']

function cpu<T>(work: () => T): { us: number; value: T } {
  const start = process.cpuUsage()
  const value = work()
  const used = process.cpuUsage(start)
  return { us: used.user + used.system, value }
}

/** One audit row of the kind each source writes: agent steps, users' refusals and admin actions, device 429s. */
function stream(n: number, start: number, spanMs: number): UebaLogEntry[] {
  const rows: UebaLogEntry[] = []
  for (let i = 0; i < n; i++) {
    const r = i % 10
    const base = {
      id: randomUUID(),
      source_node: null,
      vehicle_id: null,
      user_id: null,
      run_id: null,
      request_id: null,
      reason: null as string | null,
      status: 'ALLOWED' as const,
      timestamp: new Date(start + Math.floor((i / n) * spanMs)),
    }
    if (r < 6) {
      const agent = AGENTS[i % AGENTS.length]!
      rows.push({
        ...base,
        actor_kind: 'agent',
        actor_id: agent,
        agent_name: agent,
        action_type: r < 3 ? 'transition' : 'write',
        target_node: r < 3 ? 'next' : 'chat_messages',
        details: { vin: `VIN${i % 700}` },
      })
    } else if (r < 8) {
      const user = `u${i % USERS}`
      rows.push({
        ...base,
        actor_kind: 'user',
        actor_id: user,
        agent_name: i % 3 === 0 ? 'service' : 'customer',
        action_type: 'api_request',
        target_node: 'GET /api/vehicles/:vin',
        status: 'BLOCKED',
        reason: 'FORBIDDEN',
        details: {},
      })
    } else {
      rows.push({
        ...base,
        actor_kind: 'device',
        actor_id: `DEV${i % DEVICES}`,
        agent_name: 'device',
        action_type: 'device_auth',
        target_node: 'POST /api/v1/telemetry',
        status: 'BLOCKED',
        reason: 'RATE_LIMITED',
        details: {},
      })
    }
  }
  return rows
}

const now = Date.now()
const analytics = new BehaviourAnalytics({ now: () => now, enforce: false })
const DAY = 86_400_000
// Cold: every entity new, every minute new.
const cold = stream(EVENTS, now - 14 * DAY, 7 * DAY)
const first = cpu(() => {
  for (const row of cold) analytics.observeLog(row)
})
// Warm: the same entities, a week of baselines behind them.
const warm = stream(EVENTS, now - 7 * DAY, 7 * DAY)
const second = cpu(() => {
  for (const row of warm) analytics.observeLog(row)
})
const entities = analytics.list().length
const perEvent: Row[] = [
  {
    stream: 'cold (new entities and minutes)',
    events: EVENTS,
    entities,
    us_per_event: round(first.us / EVENTS, 2),
  },
  {
    stream: 'warm (a week of baselines)',
    events: EVENTS,
    entities,
    us_per_event: round(second.us / EVENTS, 2),
  },
]
bench.table('Analytics per audit event (CPU)', perEvent)

const CHECKS = 1_000_000
const checks: Row[] = []
for (const [name, check] of [
  ['userAccess (auth path, every request)', (i: number) => analytics.userAccess(`u${i % USERS}`)],
  ['isQuarantined (gate, every node)', (i: number) => analytics.isQuarantined(AGENTS[i % 5]!)],
  ['throttledFor (device intake, every request)', (i: number) => analytics.throttledFor(`DEV${i % DEVICES}`)],
] as const) {
  const { us } = cpu(() => {
    for (let i = 0; i < CHECKS; i++) check(i)
  })
  checks.push({ check: name, calls: CHECKS, ns_per_call: round((us * 1000) / CHECKS, 1) })
}
bench.table('Hot-path checks', checks)

// A capability call: the handle's check and audit row (the trail's write is a no-op here).
const ueba = new UebaAgent({ insertUebaLogs: async () => 0 } as never, undefined, { maxDelayMs: 5 })
const stub = { findUpcomingForVehicle: async () => undefined }
/** Any other method: a no-op (only the scheduling agent's booking read is timed). */
const noop = new Proxy({}, { get: () => async () => undefined }) as never
const capabilities = new AgentCapabilities(ueba, {
  repos: { bookings: stub, anomalies: noop, diagnoses: noop, chat: noop } as never,
  bookings: noop,
  scheduling: noop,
  rca: noop,
})
const CALLS = QUICK ? 20_000 : 100_000
const direct = cpu(() => {
  const ps: Promise<unknown>[] = []
  for (let i = 0; i < CALLS; i++) ps.push(stub.findUpcomingForVehicle())
  return Promise.all(ps)
})
await direct.value
const handle = capabilities.for('scheduling', { runId: 'bench' })
const mediated = cpu(() => {
  const ps: Promise<unknown>[] = []
  for (let i = 0; i < CALLS; i++) ps.push(handle.findUpcomingBooking('v', new Date()))
  return Promise.all(ps)
})
await mediated.value
await ueba.flush()
const forRun = cpu(() => {
  for (let i = 0; i < CALLS; i++) capabilities.for('scheduling', { runId: 'bench' })
})
bench.table('Agent capability mediation (CPU, synchronous part)', [
  { call: 'direct repository call', calls: CALLS, us_per_call: round(direct.us / CALLS, 2) },
  {
    call: 'through the handle (check + audit row)',
    calls: CALLS,
    us_per_call: round(mediated.us / CALLS, 2),
  },
  { call: 'building a handle (once per node)', calls: CALLS, us_per_call: round(forRun.us / CALLS, 2) },
])

const database = await createBenchDatabase('pglite')
const repo = uebaEntitiesRepository(database.handle.db)
const rows = analytics.takeDirty()
const json = rows.reduce((n, r) => n + JSON.stringify(r.model).length + JSON.stringify(r.reasons).length, 0)
const t0 = performance.now()
await repo.save(rows)
const saveMs = performance.now() - t0
const t1 = performance.now()
const loaded = await repo.loadAll()
const restored = new BehaviourAnalytics({ now: () => now })
restored.load(loaded)
const loadMs = performance.now() - t1
bench.table('Persisting analytics (PGlite)', [
  {
    rows: rows.length,
    json_kb: round(json / 1024, 0),
    save_ms: round(saveMs, 0),
    load_ms: round(loadMs, 0),
    entities_after_load: restored.list().length,
  },
])
await database.close()
bench.note(
  'Per event: one map lookup, the first-seen sets, one rate baseline (per vehicle for agents), four sequence rules over the last 16 events; no allocation per event beyond the reasons an anomaly adds.',
)
bench.save()
