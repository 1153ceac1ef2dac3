/**
 * 9. The audit log's cost: per agent run (a run's six gate checks and its flush) and per refused
 * API request, in µs of this process's CPU (user + system: with PGlite that includes the
 * database's work, with PostgreSQL only the client's), and the hash chain's share of a group
 * commit (the same rows through a plain INSERT, without the chain head's lock and the hashing).
 */
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { auditTimestamp } from '../src/agents/ueba/audit.js'
import { UebaAgent } from '../src/agents/ueba/gate.js'
import { verifyChain } from '../src/agents/ueba/verify.js'
import { type NewUebaLog, uebaRepository } from '../src/db/repositories/ueba.js'
import { DEMO_STAFF } from '../src/demo.js'
import { loginToken, startBenchApp } from './lib/app.js'
import { createBenchDatabase, type DbKind, postgresAvailable } from './lib/db.js'
import { Bench, QUICK, type Row, round } from './lib/report.js'

const bench = new Bench('audit')
const kinds: DbKind[] = (await postgresAvailable()) ? ['pglite', 'postgres'] : ['pglite']
const RUNS = QUICK ? 200 : 1000
const REQUESTS = QUICK ? 500 : 2000
const STEPS = ['data_analysis', 'diagnosis', 'customer_engagement', 'scheduling', 'rca'] as const

/** CPU µs and wall ms of `work`. */
async function measure(work: () => Promise<void>): Promise<{ cpuUs: number; wallMs: number }> {
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  await work()
  const used = process.cpuUsage(cpu)
  return { cpuUs: used.user + used.system, wallMs: performance.now() - t0 }
}

/** One graph run's audit: five transitions (the last to END) and one write check, then the flush. */
async function run(ueba: UebaAgent, i: number): Promise<void> {
  const runId = `bench-${i}`
  for (let s = 0; s < STEPS.length; s++) await ueba.gate(STEPS[s]!, STEPS[s + 1] ?? '__end__', { runId })
  await ueba.authorizeWrite('rca', 'manufacturing_insights', { runId })
  await ueba.flush()
}

/** A row as the gate builds it. */
function auditRow(resource: string): NewUebaLog {
  return {
    id: randomUUID(),
    actor_kind: 'agent',
    actor_id: 'rca',
    agent_name: 'rca',
    action_type: 'write',
    status: 'ALLOWED',
    source_node: 'rca',
    target_node: resource,
    vehicle_id: null,
    user_id: null,
    run_id: 'bench',
    reason: null,
    request_id: null,
    details: { vin: 'WBA00000000000000' },
    timestamp: auditTimestamp(),
  }
}

const verifyRows: Row[] = []
const runRows: Row[] = []
const commitRows: Row[] = []
for (const kind of kinds) {
  const database = await createBenchDatabase(kind)
  const { db } = database.handle
  const repo = uebaRepository(db)
  let plainSeq = 10_000_000
  /** The same rows without the chain: one INSERT, positions from a counter, no lock, no hashes. */
  const plain = {
    async insertUebaLogs(rows: readonly NewUebaLog[]) {
      await db
        .insertInto('ueba_logs')
        .values(rows.map((r) => ({ ...r, seq: String(plainSeq++), details: JSON.stringify(r.details) })))
        .execute()
      return rows.length
    },
  }
  for (const [variant, target] of [
    ['hash chain', repo],
    ['plain INSERT', plain],
  ] as const) {
    const ueba = new UebaAgent(target)
    await run(ueba, -1) // warm-up
    const sequential = await measure(async () => {
      for (let i = 0; i < RUNS; i++) await run(ueba, i)
    })
    // Eight runs ending together share their group commits, as concurrent episodes do.
    const concurrent = await measure(async () => {
      for (let i = 0; i < RUNS; i += 8)
        await Promise.all(Array.from({ length: 8 }, (_, k) => run(ueba, RUNS + i + k)))
    })
    runRows.push({
      database: kind,
      write: variant,
      runs: RUNS,
      'CPU µs/run (one at a time)': round(sequential.cpuUs / RUNS),
      'wall ms/run (one at a time)': round(sequential.wallMs / RUNS, 2),
      'CPU µs/run (8 at once)': round(concurrent.cpuUs / RUNS),
      'wall ms/run (8 at once)': round(concurrent.wallMs / RUNS, 2),
    })
    for (const size of [6, 100, 500]) {
      const batches = QUICK ? 20 : 60
      const rows = (b: number) => Array.from({ length: size }, (_, k) => auditRow(`b${b}-${k}`))
      const prepared = Array.from({ length: batches }, (_, b) => rows(b))
      const m = await measure(async () => {
        for (const batch of prepared) await target.insertUebaLogs(batch)
      })
      commitRows.push({
        database: kind,
        write: variant,
        'rows/commit': size,
        'wall µs/row': round((m.wallMs * 1000) / (batches * size)),
        'CPU µs/row': round(m.cpuUs / (batches * size)),
      })
    }
  }
  await sql`DELETE FROM ueba_logs WHERE seq >= 10000000`.execute(db)
  let report: Awaited<ReturnType<typeof verifyChain>> | undefined
  const verify = await measure(async () => {
    report = await verifyChain(repo)
  })
  if (!report?.ok) throw new Error(`the chain does not verify: ${JSON.stringify(report?.first_broken)}`)
  verifyRows.push({
    database: kind,
    rows: report.checked,
    'verify ms': round(verify.wallMs),
    'wall µs/row': round((verify.wallMs * 1000) / report.checked, 2),
    'CPU µs/row': round(verify.cpuUs / report.checked, 2),
  })
  await database.close()
}
bench.table('Audit per agent run (6 checks + flush)', runRows)
bench.table('Group commit cost per row', commitRows)
bench.table('GET /api/ueba/verify: recomputing the chain', verifyRows)

const requestRows: Row[] = []
for (const kind of kinds) {
  const app = await startBenchApp({ kind })
  const service = DEMO_STAFF.find((s) => s.role === 'service')!
  const token = await loginToken(app.app, service.email, service.password)
  const { ueba } = app.app.services.agents
  const original = ueba.record.bind(ueba)
  const refuse = async () => {
    for (let i = 0; i < REQUESTS; i++) {
      const res = await app.app.inject({
        url: '/api/insights',
        headers: { authorization: `Bearer ${token}` },
      })
      if (res.statusCode !== 403) throw new Error(`expected 403, got ${res.statusCode}`)
    }
    await ueba.flush()
  }
  await refuse() // warm-up
  const recorded = await measure(refuse)
  ueba.record = (() => ({ log: undefined, recorded: Promise.resolve() })) as unknown as typeof ueba.record
  const unrecorded = await measure(refuse)
  ueba.record = original
  requestRows.push({
    database: kind,
    requests: REQUESTS,
    'CPU µs/refused request, recorded': round(recorded.cpuUs / REQUESTS),
    'CPU µs/refused request, not recorded': round(unrecorded.cpuUs / REQUESTS),
    'audit CPU µs/request': round((recorded.cpuUs - unrecorded.cpuUs) / REQUESTS),
  })
  await app.close()
}
bench.table('Audit per refused API request (403, app.inject)', requestRows)
bench.note(
  'CPU is this process only: with PostgreSQL the server’s share of each commit is not in it. A request ' +
    'that is not refused, nor a sign-in or a manufacturer change, writes nothing (one status check in onResponse).',
)
bench.save()
process.exit(0)
