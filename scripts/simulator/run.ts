import { Rng } from '../../src/simulation/fleet-random.js'
import { ApiClient, type Device, pool } from './api-client.js'
import type { SimOptions } from './args.js'
import { Counters, progressLine } from './counters.js'
import { loadFleetSource } from './fleet-source.js'
import { HttpTransport } from './http-transport.js'
import { MqttTransport } from './mqtt-transport.js'
import { Unit } from './unit.js'
import { type Verification, verifyStored } from './verify.js'

export interface RunHooks {
  /** Where progress lines go. */
  log?: (line: string) => void
  /** Aborting it stops measuring; what is queued or in flight is still delivered and verified. */
  signal?: AbortSignal
  /** Once every unit is connected, before the first reading: the units, to watch while they run. */
  onStart?: (units: readonly Unit[]) => void
  /** After the last acknowledgement, before the range API is read (a test removes a row here). */
  beforeVerify?: (units: readonly Unit[]) => Promise<void> | void
}

export interface SimSummary {
  protocol: SimOptions['protocol']
  vehicles: number
  rate_per_vehicle: number
  /** Login, provisioning and (MQTT) connecting. */
  setup_s: number
  /** From the first measurement to the last acknowledgement (or the drain deadline). */
  duration_s: number
  readings: {
    sent: number
    acknowledged: number
    rejected: number
    rejected_by_code: Record<string, number>
    /** Queued or in flight when the run ended: never acknowledged. */
    unacknowledged: number
    duplicates_sent: number
    /** Answered as duplicates (HTTP 202 `duplicates`; null over MQTT, whose PUBACK carries no result). */
    duplicates_answered: number | null
    out_of_order_sent: number
  }
  messages: { sent: number; acknowledged: number; retries: number; reconnects: number }
  errors: Record<string, number>
  /** From a message's first send to its PUBACK or 202, retries included. */
  ack_latency_ms: { n: number; p50: number; p95: number; p99: number; max: number }
  /** Acknowledged readings per second over `duration_s`. */
  readings_per_second: number
  verification: Verification | null
  /** 0 ok, 1 verification failed, 3 the run could not complete. */
  exit_code: 0 | 1 | 3
  /** Why the run could not complete, when it could not. */
  error?: string
}

export interface SimResult {
  summary: SimSummary
  units: Unit[]
}

type Transport = { pump(): void; readonly idle: boolean; close?(): Promise<void> }

const TICK_MS = 20

/** Provisions the units, streams their readings until done, drains, and verifies what was stored. */
export async function runSimulation(options: SimOptions, hooks: RunHooks = {}): Promise<SimResult> {
  const log = hooks.log ?? ((line: string) => process.stdout.write(`${line}\n`))
  const counters = new Counters()
  const units: Unit[] = []
  const transports: Transport[] = []
  const giveUp = new AbortController()
  const begun = performance.now()
  let setupS = 0
  const summary = (exit: SimSummary['exit_code'], verification: Verification | null, error?: string) =>
    summarise(options, counters, units, { setupS, streamS: 0 }, verification, exit, error)

  let devices: Device[]
  let fleet: Awaited<ReturnType<typeof loadFleetSource>>
  const api = new ApiClient(options.url)
  try {
    fleet = await loadFleetSource(options.fleet)
    await api.login(options.email, options.password)
    devices =
      options.provision === 'rotate'
        ? await api.rotateVehicles(options.vehicles)
        : await pool(Array.from({ length: options.vehicles }), 8, (_, i) =>
            api.createVehicle(fleet.vehicles[i % fleet.vehicles.length]!, options.owner),
          )
  } catch (err) {
    return { summary: summary(3, null, `setup: ${(err as Error).message}`), units }
  }

  const rng = new Rng(options.seed, 'simulator')
  const periodMs = 1000 / options.rate
  const intervalMs = options.intervalS * 1000
  const total =
    options.readings ??
    (options.durationS === undefined ? Number.POSITIVE_INFINITY : Math.ceil(options.durationS * options.rate))
  devices.forEach((device, i) => {
    const source = fleet.vehicles[i % fleet.vehicles.length]!
    const unit = new Unit(
      {
        ...device,
        source,
        startMs: Math.floor(rng.range(0, Math.min(periodMs, intervalMs))),
        skewMs: Math.round(rng.range(-options.clockSkewS, options.clockSkewS) * 1000),
        periodMs,
        total,
        rowOffset: Math.floor(i / fleet.vehicles.length) * 997,
        duplicates: options.duplicates,
        outOfOrder: options.outOfOrder,
        seed: options.seed,
      },
      fleet,
    )
    units.push(unit)
    transports.push(
      options.protocol === 'mqtt'
        ? new MqttTransport(unit, { url: options.mqttUrl, window: options.window }, counters)
        : new HttpTransport(unit, { url: options.url, giveUp: giveUp.signal }, counters),
    )
  })
  const closeAll = () => Promise.all(transports.map((t) => t.close?.()))
  if (options.protocol === 'mqtt') {
    try {
      await pool(transports as MqttTransport[], 50, (t) => t.connect())
    } catch (err) {
      await closeAll()
      return { summary: summary(3, null, `connect: ${(err as Error).message}`), units }
    }
  }

  const t0 = Date.now() + 100
  for (const unit of units) unit.begin(t0)
  setupS = (performance.now() - begun) / 1000
  log(`${units.length} units provisioned and ready in ${setupS.toFixed(1)} s`)
  hooks.onStart?.(units)
  const started = performance.now()
  // Each unit sends every interval, units spread over it so that the service sees a steady stream.
  const phases = units.map((_, i) => t0 + ((i + 0.5) / units.length) * intervalMs)
  await new Promise<void>((resolve) => {
    let measuringEndedAt: number | undefined
    let lastLine = performance.now()
    const stop = () => {
      for (const u of units) u.stopMeasuring()
    }
    if (hooks.signal?.aborted) stop()
    hooks.signal?.addEventListener('abort', stop, { once: true })
    const timer = setInterval(() => {
      const now = Date.now()
      units.forEach((unit, i) => {
        if (now < phases[i]! && unit.measuring) return
        phases[i]! += intervalMs
        unit.measure(now, counters)
        transports[i]!.pump()
      })
      if (performance.now() - lastLine >= 1000) {
        lastLine = performance.now()
        log(progressLine((lastLine - started) / 1000, counters, inFlight(units)))
      }
      const measuring = units.some((u) => u.measuring)
      if (!measuring) measuringEndedAt ??= performance.now()
      const done = !measuring && units.every((u) => u.idle) && transports.every((t) => t.idle)
      const late =
        measuringEndedAt !== undefined && performance.now() - measuringEndedAt > options.drainTimeoutS * 1000
      if (done || late) {
        clearInterval(timer)
        hooks.signal?.removeEventListener('abort', stop)
        if (!done) giveUp.abort()
        resolve()
      }
    }, TICK_MS)
  })
  await closeAll()
  log(progressLine((performance.now() - started) / 1000, counters, inFlight(units)))
  const streamS = (performance.now() - started) / 1000
  await hooks.beforeVerify?.(units)

  let verification: Verification
  try {
    verification = await verifyStored(api, units)
  } catch (err) {
    return { summary: summary(3, null, `verification: ${(err as Error).message}`), units }
  }
  const unacknowledged = pending(units)
  const exit = !verification.ok ? 1 : unacknowledged > 0 ? 3 : 0
  const error =
    unacknowledged > 0 ? `${unacknowledged} readings still unacknowledged after the drain timeout` : undefined
  const result = summarise(options, counters, units, { setupS, streamS }, verification, exit, error)
  return { summary: result, units }
}

function inFlight(units: readonly Unit[]): number {
  return units.reduce((n, u) => n + u.inFlight, 0)
}

function pending(units: readonly Unit[]): number {
  return units.reduce((n, u) => n + u.inFlight + u.queue.reduce((m, b) => m + b.steps.length, 0), 0)
}

function summarise(
  options: SimOptions,
  c: Counters,
  units: readonly Unit[],
  time: { setupS: number; streamS: number },
  verification: Verification | null,
  exit: SimSummary['exit_code'],
  error: string | undefined,
): SimSummary {
  return {
    protocol: options.protocol,
    vehicles: units.length,
    rate_per_vehicle: options.rate,
    setup_s: Math.round(time.setupS * 100) / 100,
    duration_s: Math.round(time.streamS * 100) / 100,
    readings: {
      sent: c.sent,
      acknowledged: c.acknowledged,
      rejected: c.rejected,
      rejected_by_code: { ...c.rejectedByCode },
      unacknowledged: pending(units),
      duplicates_sent: c.duplicatesSent,
      duplicates_answered: options.protocol === 'http' ? c.duplicatesAnswered : null,
      out_of_order_sent: c.outOfOrderSent,
    },
    messages: {
      sent: c.messagesSent,
      acknowledged: c.messagesAcknowledged,
      retries: c.retries,
      reconnects: c.reconnects,
    },
    errors: { ...c.errors },
    ack_latency_ms: c.latency(),
    readings_per_second: time.streamS > 0 ? Math.round((c.acknowledged / time.streamS) * 10) / 10 : 0,
    verification,
    exit_code: exit,
    ...(error ? { error } : {}),
  }
}
