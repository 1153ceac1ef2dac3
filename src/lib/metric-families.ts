import { Counter, Gauge, type Registry } from 'prom-client'

/**
 * The snapshots the metrics read at scrape time, as the services already keep them (the
 * composition root hands them over; shapes are the ones of `/api/health`, only what is read).
 */
export interface MetricSources {
  pipeline(): {
    accepted: number
    late: number
    duplicate: number
    invalid: number
    invalidByCode: Partial<Record<string, number>>
    unknownVehicle: number
    refused: number
  }
  writer(): { written: number; duplicates: number; pending: number; dropped: number; failedAttempts: number }
  agents(): {
    opened: number
    escalated: number
    resolved: number
    queuedRuns: number
    queuedOps: number
    urgentRuns: number
    urgentWaiting: number
    followUpRuns: number
    followUpWaiting: number
    foldedRuns: number
    shedRuns: number
    cancelledRuns: number
    droppedAtStop: number
  }
  websocket(): { connections: number; sent: number; droppedTelemetry: number }
  /** HTTP device intake: whole requests refused before their readings are looked at. */
  httpIntake(): { requests: number; rate_limited: number; busy: number }
  /** Absent when MQTT is off. */
  mqtt?: () => {
    status: string
    clients: number
    messages: number
    throttled: number
    refusedConnections: number
    refusedPublishes: number
    refusedSubscriptions: number
    alertsPublished: number
  }
  db(): { kind: string; total: number; idle: number; waiting: number; max: number; lost: number }
  audit(): { written: number; pending: number; spooled: number; lost: number }
}

type Values = ReadonlyArray<readonly [Record<string, string>, number]>

/** A counter whose total is kept elsewhere: set from `read` at every scrape. */
function counter(
  registers: Registry[],
  name: string,
  help: string,
  labelNames: string[],
  read: () => Values,
) {
  new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset()
      for (const [labels, value] of read()) this.inc(labels, value)
    },
  })
}

function gauge(registers: Registry[], name: string, help: string, labelNames: string[], read: () => Values) {
  new Gauge({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset()
      for (const [labels, value] of read()) this.set(labels, value)
    },
  })
}

const one = (value: number): Values => [[{}, value]]

/** Registers every family read from `s`. Names and meanings: docs/metrics.md. */
export function registerSourceFamilies(registers: Registry[], s: MetricSources): void {
  const c = (name: string, help: string, labels: string[], read: () => Values) =>
    counter(registers, name, help, labels, read)
  const g = (name: string, help: string, labels: string[], read: () => Values) =>
    gauge(registers, name, help, labels, read)

  c(
    'autonoma_readings_received_total',
    'Readings offered to the pipeline (devices and the replay)',
    [],
    () => {
      const p = s.pipeline()
      return one(p.accepted + p.late + p.duplicate + p.invalid + p.unknownVehicle + p.refused)
    },
  )
  c('autonoma_readings_analysed_total', 'Readings new and in order: analysed', [], () =>
    one(s.pipeline().accepted),
  )
  c(
    'autonoma_readings_late_total',
    "Readings older than their vehicle's newest: stored, not analysed",
    [],
    () => one(s.pipeline().late),
  )
  c('autonoma_readings_stored_total', 'Readings committed to telemetry_logs (new rows)', [], () =>
    one(s.writer().written),
  )
  c(
    'autonoma_readings_duplicate_total',
    'Readings seen before: dropped at intake (same timestamp as the newest) or at the store (row exists)',
    ['stage'],
    () => [
      [{ stage: 'intake' }, s.pipeline().duplicate],
      [{ stage: 'store' }, s.writer().duplicates],
    ],
  )
  c(
    'autonoma_readings_rejected_total',
    "Readings refused, by reason (the intake's rejection codes)",
    ['reason'],
    () => {
      const p = s.pipeline()
      const byCode = Object.entries(p.invalidByCode).map(([reason, n]) => [{ reason }, n ?? 0] as const)
      return [
        ...byCode,
        [{ reason: 'UNKNOWN_VEHICLE' }, p.unknownVehicle],
        [{ reason: 'SHUTTING_DOWN' }, p.refused],
        [{ reason: 'OVERLOADED' }, s.writer().dropped],
      ]
    },
  )
  c(
    'autonoma_telemetry_write_failures_total',
    'Telemetry batch writes that failed (and are retried)',
    [],
    () => one(s.writer().failedAttempts),
  )
  c('autonoma_device_requests_total', 'Device HTTP requests and MQTT messages', ['transport'], () => [
    [{ transport: 'http' }, s.httpIntake().requests],
    ...(s.mqtt ? [[{ transport: 'mqtt' }, s.mqtt().messages] as const] : []),
  ])
  c(
    'autonoma_device_refusals_total',
    'Device requests, messages, connections and subscriptions refused as a whole, by transport and reason',
    ['transport', 'reason'],
    () => {
      const http = s.httpIntake()
      const out: [Record<string, string>, number][] = [
        [{ transport: 'http', reason: 'rate_limited' }, http.rate_limited],
        [{ transport: 'http', reason: 'busy' }, http.busy],
      ]
      if (s.mqtt) {
        const m = s.mqtt()
        out.push(
          [{ transport: 'mqtt', reason: 'throttled' }, m.throttled],
          [{ transport: 'mqtt', reason: 'connection' }, m.refusedConnections],
          [{ transport: 'mqtt', reason: 'publish' }, m.refusedPublishes],
          [{ transport: 'mqtt', reason: 'subscription' }, m.refusedSubscriptions],
        )
      }
      return out
    },
  )

  g('autonoma_queue_depth', 'Work waiting, by queue', ['queue'], () => {
    const a = s.agents()
    const audit = s.audit()
    return [
      [{ queue: 'telemetry_writer' }, s.writer().pending],
      [{ queue: 'agent_runs' }, a.queuedRuns],
      [{ queue: 'agent_bookkeeping' }, a.queuedOps],
      [{ queue: 'agent_urgent_slot' }, a.urgentWaiting],
      [{ queue: 'agent_follow_up_slot' }, a.followUpWaiting],
      [{ queue: 'audit' }, audit.pending],
      [{ queue: 'audit_spool' }, audit.spooled],
    ]
  })
  g(
    'autonoma_agent_runs_active',
    'Agent runs in progress, by phase (urgent: up to the alert)',
    ['phase'],
    () => {
      const a = s.agents()
      return [
        [{ phase: 'urgent' }, a.urgentRuns],
        [{ phase: 'follow_up' }, a.followUpRuns],
      ]
    },
  )
  c(
    'autonoma_agent_runs_skipped_total',
    'Agent run requests that got no run of their own: folded into a queued one, shed, cancelled (recovered first), dropped at stop',
    ['reason'],
    () => {
      const a = s.agents()
      return [
        [{ reason: 'folded' }, a.foldedRuns],
        [{ reason: 'shed' }, a.shedRuns],
        [{ reason: 'cancelled' }, a.cancelledRuns],
        [{ reason: 'dropped_at_stop' }, a.droppedAtStop],
      ]
    },
  )
  c('autonoma_episodes_total', 'Anomaly episodes opened, escalated and resolved', ['event'], () => {
    const a = s.agents()
    return [
      [{ event: 'opened' }, a.opened],
      [{ event: 'escalated' }, a.escalated],
      [{ event: 'resolved' }, a.resolved],
    ]
  })

  g('autonoma_websocket_clients', 'WebSocket connections open', [], () => one(s.websocket().connections))
  c('autonoma_websocket_messages_sent_total', 'Messages sent to WebSocket clients', [], () =>
    one(s.websocket().sent),
  )
  c(
    'autonoma_websocket_telemetry_dropped_total',
    'Telemetry messages dropped for slow WebSocket clients',
    [],
    () => one(s.websocket().droppedTelemetry),
  )
  const mqtt = s.mqtt
  if (mqtt) {
    g(
      'autonoma_mqtt_up',
      '1 while the MQTT intake is up (embedded broker listening, or connected to MQTT_URL)',
      [],
      () => one(mqtt().status === 'up' ? 1 : 0),
    )
    g('autonoma_mqtt_clients', 'MQTT clients connected to the embedded broker', [], () => one(mqtt().clients))
    c('autonoma_mqtt_alerts_published_total', 'Alerts published to vehicles/{vin}/alerts', [], () =>
      one(mqtt().alertsPublished),
    )
  }

  const db = (pick: (p: ReturnType<MetricSources['db']>) => number) => (): Values => {
    const p = s.db()
    return [[{ kind: p.kind }, pick(p)]]
  }
  g(
    'autonoma_db_pool_connections',
    'Database connections open (PGlite: its one)',
    ['kind'],
    db((p) => p.total),
  )
  g(
    'autonoma_db_pool_idle_connections',
    'Open database connections not in use',
    ['kind'],
    db((p) => p.idle),
  )
  g(
    'autonoma_db_pool_waiting',
    'Queries waiting for a database connection',
    ['kind'],
    db((p) => p.waiting),
  )
  g(
    'autonoma_db_pool_max_connections',
    'The most connections the pool opens',
    ['kind'],
    db((p) => p.max),
  )
  c(
    'autonoma_db_connections_lost_total',
    'Database connections that dropped (PostgreSQL)',
    ['kind'],
    db((p) => p.lost),
  )

  c('autonoma_audit_rows_written_total', 'Audit (UEBA log) rows written to the database', [], () =>
    one(s.audit().written),
  )
  c('autonoma_audit_rows_lost_total', 'Audit rows lost because the spool was full', [], () =>
    one(s.audit().lost),
  )
}
