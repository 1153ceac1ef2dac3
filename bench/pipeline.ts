/**
 * 1. Pipeline throughput: readings/s through the whole pipeline (replay with no delay, validation,
 * analysis of every reading, batched telemetry writes, the agent graph for opened or escalated
 * episodes, events persisted, alerts published), on the shipped fleet and on 1,000 generated
 * vehicles, on PGlite and on the local PostgreSQL; beside the analysis alone as plain calls and
 * the naive design that invokes the graph for every reading, measured in the same run.
 */
import { type BenchApp, startBenchApp } from './lib/app.js'
import { analysisAlone, materialize, naiveGraph, stageCosts } from './lib/baselines.js'
import { type DbKind, postgresAvailable, postgresVersion } from './lib/db.js'
import { feed, loadEngine } from './lib/feed.js'
import { type BenchFleet, generatedFleet, shippedFleet } from './lib/fleet.js'
import { BackendCpu } from './lib/pgcpu.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'

// For profiling one case: `--only=postgres:generated`, `--no-baselines`.
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const baselines = !process.argv.includes('--no-baselines')
const bench = new Bench('pipeline')
const CORES = bench.machine.cores
const kinds: DbKind[] = ((await postgresAvailable()) ? ['pglite', 'postgres'] : ['pglite']).filter(
  (k) => !only || only.startsWith(`${k}:`),
) as DbKind[]
if (!kinds.includes('postgres')) bench.note('PostgreSQL was not reachable: its rows are missing')
bench.set('postgres', await postgresVersion())

const allPlans: { fleet: BenchFleet; limit: Record<DbKind, number> }[] = [
  {
    fleet: shippedFleet(),
    limit: QUICK ? { pglite: 28_800, postgres: 28_800 } : { pglite: 86_400, postgres: 115_200 },
  },
  {
    fleet: generatedFleet(1000, 4),
    limit: QUICK ? { pglite: 60_000, postgres: 100_000 } : { pglite: 150_000, postgres: 384_000 },
  },
]

async function run(
  kind: DbKind,
  fleet: BenchFleet,
  engine: Awaited<ReturnType<typeof loadEngine>>['engine'],
  limit: number,
) {
  let app: BenchApp | undefined
  try {
    app = await startBenchApp({ kind, extraVehicles: fleet.extraVehicles })
    let alerts = 0
    app.app.services.bus.subscribe((m) => {
      if (m.type === 'alert') alerts++
    })
    const pgCpu = kind === 'postgres' ? await BackendCpu.begin(app.database.handle.db) : undefined
    const cpu0 = process.cpuUsage()
    // The generated fleet's faults all start after its third day: the rate until then has no agent runs.
    const calm = fleet.vehicles === 1000 ? 3 * 96 * 1000 : 0
    let calmRate: number | null = null
    const t0 = performance.now()
    const r = await feed(app.app, engine, {
      limit,
      onProgress: (n) => {
        if (calm && calmRate === null && n >= calm) {
          calmRate = Math.round((app!.app.services.writer.stats.written / (performance.now() - t0)) * 1000)
        }
      },
    })
    const cpu = process.cpuUsage(cpu0)
    const nodeUs = (cpu.user + cpu.system) / r.readings
    const pgUs = pgCpu ? (await pgCpu.elapsedUs()) / r.readings : 0
    const w = app.app.services.writer.stats
    const e = app.app.services.episodes.stats
    const p = app.app.services.pipeline.stats
    const stored = await app.database.handle.db
      .selectFrom('telemetry_logs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    return {
      db: kind,
      fleet: fleet.label,
      readings: r.readings,
      'readings/s': Math.round((r.readings / r.totalMs) * 1000),
      'stored/s before the first episode': calmRate,
      'ingest-side/s': Math.round((r.readings / r.ingestMs) * 1000),
      'Node CPU µs/reading': round(nodeUs, 1),
      'PG CPU µs/reading': pgCpu ? round(pgUs, 1) : null,
      // What the measured CPU costs allow with every core busy and nothing else running: Node and
      // PostgreSQL's backends share the cores (PGlite's work is inside the Node figure).
      'CPU-bound ceiling/s': kind === 'postgres' ? Math.round((1e6 * CORES) / (nodeUs + pgUs)) : null,
      'rows stored': Number(stored.n),
      batches: w.batches,
      dropped: w.dropped,
      invalid: p.invalid,
      'episodes opened': e.opened,
      escalations: e.escalated,
      'graph runs': e.graphRuns,
      'graph failures': e.graphFailures,
      'alerts published': alerts,
      'GC % of time': Math.round((r.gcMs / r.totalMs) * 100),
      'paused ms': Math.round(r.pausedMs),
    } satisfies Row
  } finally {
    await app?.close()
  }
}

const plans = allPlans.filter((p) => !only || p.fleet.label.startsWith(only.split(':')[1] ?? ''))
const throughput: Row[] = []
const logic: Row[] = []
const stages: Row[] = []
const naive: Row[] = []

for (const { fleet, limit } of plans) {
  const { engine, loadMs, rows } = await loadEngine(fleet.csv)
  console.log(`  ${fleet.label}: ${rows} rows loaded in ${Math.round(loadMs)} ms`)
  // The baselines and the stage costs run over the same readings, in the same process.
  const sample = baselines
    ? await materialize(engine, Math.min(QUICK ? 60_000 : 200_000, limit.postgres))
    : []
  const alone = analysisAlone(sample)
  if (baselines)
    logic.push({
      fleet: fleet.label,
      readings: sample.length,
      'analysis alone, readings/s': alone.readingsPerS,
      'anomalous readings': alone.anomalous,
      'episodes raised': alone.raised,
      escalations: alone.escalated,
      'CSV load, rows/s': Math.round((rows / loadMs) * 1000),
    })
  if (baselines && fleet === allPlans[0]!.fleet) {
    for (const s of await stageCosts(engine, sample)) stages.push({ fleet: fleet.label, ...s })
    for (const kind of kinds) {
      if (!alone.severe) break
      const app = await startBenchApp({ kind })
      try {
        const nv = await naiveGraph(
          app.app,
          sample,
          alone.severe,
          QUICK ? { stop: 300, full: 30 } : { stop: 2000, full: 200 },
        )
        const share = alone.anomalous / sample.length
        naive.push({
          db: kind,
          'stop after analysis, readings/s': nv.stopAfterAnalysisPerS,
          'all five nodes, readings/s': nv.fullRunPerS,
          'anomalous share': Math.round(share * 1000) / 1000,
          'fleet mix, readings/s': Math.round(
            1 / ((1 - share) / nv.stopAfterAnalysisPerS + share / nv.fullRunPerS),
          ),
          'Node CPU ms/run (stop / full)': `${nv.stopCpuMs} / ${nv.fullCpuMs}`,
          samples: `${nv.stopSamples} + ${nv.fullSamples}`,
        })
      } finally {
        await app.close()
      }
    }
  }
  sample.length = 0
  for (const kind of kinds) {
    const row = await run(kind, fleet, engine, limit[kind])
    throughput.push(row)
    console.log(`  ${kind} ${fleet.label}: ${row['readings/s']} readings/s`)
  }
  engine.stop()
}

bench.table(
  'Whole pipeline (sustained: first reading in to last row stored and last agent run done)',
  throughput,
)
bench.table('Baseline: the analysis alone as plain calls', logic)
bench.table('Baseline: the naive design, graph.invoke per reading', naive)
bench.table('Hot-path stages alone (shipped fleet)', stages)
for (const row of throughput) {
  const nv = naive.find((x) => x.db === row.db)
  if (nv) {
    bench.note(
      `${row.db} ${row.fleet}: ${Math.round(Number(row['readings/s']) / Number(nv['fleet mix, readings/s']))}x the naive design`,
    )
  }
}
bench.save()
process.exit(0)
