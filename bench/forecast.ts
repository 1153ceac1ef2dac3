/**
 * Back-test of the service demand forecast (src/services/forecast-model.ts) on the shipped fleet's
 * month. The readings are replayed as bench/rul.ts does (the real detection agent, one history and
 * one 240-reading ring per vehicle, an episode per anomaly type that opens when raised, escalates
 * when its severity rises and closes when cleared, its RUL estimated at opening and at each
 * escalation). At each cut-off the episodes open then are routed and forecast exactly as the
 * service does (routeEpisodes + forecastDemand), with the booking share learned from the
 * episodes closed before the cut-off.
 *
 * Truth: the visits the faults needed. Each ground-truth fault still active at the cut-off needs one
 * visit, on the local day its signal crossed its hard limit (threshold_crossed_at; today if that
 * is already past), at the vehicle's centre. An episode that matched a fault counts as "led to a
 * booking" in the learned share, a false one as not. Vehicles are given a home centre alternately
 * (as if each had booked there before): there are no bookings in this replay.
 * Two truths are scored: `visible` (faults whose episode is open at the cut-off: what the forecast
 * can know) and `all` (also faults that open later inside the 14 days).
 * Usage: npx tsx bench/forecast.ts [--every D]   (cut-offs every D days, default 1)
 * Prints a table and writes bench/results/forecast.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { OpenEpisodeRow } from '../src/db/repositories/forecast.js'
import type { ServiceCenter } from '../src/db/schema.js'
import { DEMO_SERVICE_CENTERS } from '../src/demo.js'
import { localDate } from '../src/lib/zoned-time.js'
import type { TelemetryReading } from '../src/schemas/telemetry.js'
import {
  ARRIVAL_WINDOW_DAYS,
  arrivalRate,
  dailyCapacity,
  routeEpisodes,
} from '../src/services/forecast.service.js'
import { bookingShare, forecastDemand, HORIZON_DAYS } from '../src/services/forecast-model.js'
import { StreamEngine } from '../src/simulation/stream-engine.js'
import { loadGroundTruth } from './lib/detection-eval.js'
import { replaySnapshots } from './lib/forecast-replay.js'

const { values } = parseArgs({ options: { every: { type: 'string', default: '1' } } })
const every = Number(values.every)
if (!Number.isInteger(every) || every < 1) {
  console.error('usage: npx tsx bench/forecast.ts [--every D]')
  process.exit(2)
}
const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url))
const DAY_MS = 86_400_000
const toMs = (iso: string) => Date.parse(iso)
const started = performance.now()

const engine = new StreamEngine(path('../data/fleet_15min.csv'), { delaySeconds: 0, loop: false })
const readings: TelemetryReading[] = []
for await (const reading of engine.streamData()) readings.push(reading)
const faults = loadGroundTruth(path('../data/fleet_faults.json'))
const first = toMs(readings[0]!.timestamp)
const last = toMs(readings.at(-1)!.timestamp)

const centers: ServiceCenter[] = DEMO_SERVICE_CENTERS.map((c, i) => ({
  ...c,
  id: `00000000-0000-4000-8000-00000000000${i + 1}`,
  created_at: new Date(first),
}))
const vins = [...new Set(readings.map((r) => r.vin))].sort()
const home = new Map(vins.map((v, i) => [v, centers[i % centers.length]!.id]))

// Cut-offs at local midnight-ish UTC days, leaving a full 14-day horizon inside the month.
const cutoffs: number[] = []
for (let t = first + every * DAY_MS; t + HORIZON_DAYS * DAY_MS <= last + 1; t += every * DAY_MS)
  cutoffs.push(t)

const snapshots = replaySnapshots(readings, faults, cutoffs)
const replayMs = performance.now() - started

interface CenterDay {
  cutoff: string
  center: string
  date: string
  expected: number
  low: number
  high: number
  visible: number
  all: number
}

interface Total {
  cutoff: string
  center: string
  forecast: number
  visible: number
  all: number
}

/** Every cut-off's forecast against the truth; `withArrivals` adds the new-fault rate (as the service does). */
function backtest(withArrivals: boolean) {
  const rows: CenterDay[] = []
  const totals: Total[] = []
  const perCutoff: unknown[] = []
  for (const snap of snapshots) {
    const now = new Date(snap.at)
    const history = {
      episodes: snap.closed.length,
      booked: snap.closed.filter((e) => e.fault !== undefined).length,
    }
    const episodeRows: OpenEpisodeRow[] = snap.open.map((e) => ({
      id: e.id,
      vehicle_id: e.vin,
      severity: e.severity,
      rul_prediction: e.estimate.rul_days,
      rul_low_days: e.estimate.rul_low_days,
      rul_high_days: e.estimate.rul_high_days,
      rul_method: e.estimate.rul_method,
      rul_estimated_at: new Date(e.estimatedAt),
      detected_at: new Date(e.opened),
      // The replay's clock is the cut-off.
      last_seen_at: now,
    }))
    const routed = routeEpisodes(episodeRows, { centers, booked: new Set(), homes: home, now })
    // New faults at the rate of episodes opened in the trailing window (the replay's record starts at its first reading).
    const opened = [...snap.closed, ...snap.open].filter(
      (e) => e.opened >= snap.at - ARRIVAL_WINDOW_DAYS * DAY_MS,
    )
    const rate = arrivalRate(opened.length, new Date(first), now)
    const capacity = centers.reduce((a, c) => a + dailyCapacity(c), 0)
    const visibleFaults = new Set(snap.open.flatMap((e) => (e.fault ? [e.fault.id] : [])))
    const horizonEnd = snap.at + HORIZON_DAYS * DAY_MS
    // Faults still active at the cut-off whose visit day is inside the horizon.
    const needed = faults.flatMap((f) => {
      if (toMs(f.end) <= snap.at) return []
      const crossing = toMs(f.threshold_crossed_at ?? f.end)
      if (crossing >= horizonEnd) return []
      return [{ fault: f, at: new Date(Math.max(crossing, snap.at)), visible: visibleFaults.has(f.id) }]
    })
    for (const center of centers) {
      const f = forecastDemand({
        center,
        now,
        bookings: [],
        episodes: routed.get(center.id) ?? [],
        history,
        ...(withArrivals ? { arrivalsPerDay: (rate * dailyCapacity(center)) / capacity } : {}),
      })
      const mine = needed.filter((n) => home.get(n.fault.vin) === center.id)
      let fSum = 0
      let vSum = 0
      let aSum = 0
      for (const d of f.days) {
        const onDay = mine.filter((n) => localDate(n.at, center.timezone) === d.date)
        const visible = onDay.filter((n) => n.visible).length
        rows.push({
          cutoff: now.toISOString(),
          center: center.name,
          date: d.date,
          expected: d.expected,
          low: d.expected_low,
          high: d.expected_high,
          visible,
          all: onDay.length,
        })
        fSum += d.expected
        vSum += visible
        aSum += onDay.length
      }
      totals.push({
        cutoff: now.toISOString(),
        center: center.name,
        forecast: +fSum.toFixed(2),
        visible: vSum,
        all: aSum,
      })
    }
    perCutoff.push({
      cutoff: now.toISOString(),
      openEpisodes: snap.open.length,
      openMatchingFaults: visibleFaults.size,
      bookingShare: +bookingShare(history).value.toFixed(3),
      newEpisodesPerDay: +rate.toFixed(3),
      historyEpisodes: history.episodes,
      visitsNeeded: needed.length,
      visitsVisible: needed.filter((n) => n.visible).length,
    })
  }
  return { rows, totals, perCutoff }
}

const full = backtest(true)
const openOnly = backtest(false)
const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length)
const r3 = (x: number | null) => (x === null ? null : +x.toFixed(3))
function score({ rows, totals }: { rows: CenterDay[]; totals: Total[] }, truth: 'visible' | 'all') {
  return {
    centerDays: rows.length,
    maeCenterDay: r3(mean(rows.map((r) => Math.abs(r.expected - r[truth])))),
    maeZeroForecast: r3(mean(rows.map((r) => r[truth]))),
    // The expectation is what minimises squared error; the absolute error favours forecasting 0 on sparse days.
    rmseCenterDay: r3(Math.sqrt(mean(rows.map((r) => (r.expected - r[truth]) ** 2)) ?? 0)),
    rmseZeroForecast: r3(Math.sqrt(mean(rows.map((r) => r[truth] ** 2)) ?? 0)),
    coverage80: r3(mean(rows.map((r) => (r[truth] >= r.low && r[truth] <= r.high ? 1 : 0)))),
    total14d: {
      mae: r3(mean(totals.map((t) => Math.abs(t.forecast - t[truth])))),
      bias: r3(mean(totals.map((t) => t.forecast - t[truth]))),
      forecastSum: r3(totals.reduce((a, t) => a + t.forecast, 0)),
      truthSum: totals.reduce((a, t) => a + t[truth], 0),
    },
  }
}
const result = {
  machine: os.cpus()[0]?.model ?? 'unknown',
  date: new Date().toISOString(),
  fleet: 'shipped (seed 42)',
  cutoffs: snapshots.length,
  everyDays: every,
  horizonDays: HORIZON_DAYS,
  centers: centers.map((c) => c.name),
  truth:
    'visits needed: one per ground-truth fault still active at the cut-off, on the local day it crossed its hard limit (today if already past), at its home centre',
  /** The service's forecast (open episodes + the new-fault rate) against every visit needed. */
  service: score(full, 'all'),
  /** Open episodes only, against the visits of faults already detected at the cut-off, and against all. */
  openOnlyVisible: score(openOnly, 'visible'),
  openOnlyAll: score(openOnly, 'all'),
  perCutoff: full.perCutoff,
  totals: full.totals,
  replayMs: Math.round(replayMs),
  totalMs: Math.round(performance.now() - started),
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(0)} %`)
console.log(
  `cut-offs: ${result.cutoffs} (every ${every} d), ${full.rows.length} centre-days, replay ${result.replayMs} ms`,
)
for (const name of ['service', 'openOnlyVisible', 'openOnlyAll'] as const) {
  const s = result[name]
  console.log(
    `${name.padEnd(16)} MAE/centre-day ${s.maeCenterDay} (zero forecast ${s.maeZeroForecast}), RMSE ${s.rmseCenterDay} (zero ${s.rmseZeroForecast}), 80% coverage ${pct(s.coverage80)}, ` +
      `14-day total MAE ${s.total14d.mae} bias ${s.total14d.bias} (forecast ${s.total14d.forecastSum} vs ${s.total14d.truthSum} visits)`,
  )
}
for (const c of full.perCutoff) console.log(' ', JSON.stringify(c))
mkdirSync(path('results'), { recursive: true })
const out = path('results/forecast.json')
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
console.log(`wrote ${out}`)
