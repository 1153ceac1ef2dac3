import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { NUMERIC_FIELDS, type TelemetryReading } from '../../src/schemas/telemetry.js'
import { StreamEngine } from '../../src/simulation/stream-engine.js'
import { type LogLine, startServerProcess, until } from '../helpers/server-process.js'

/**
 * The real server process (`node --import tsx src/server.ts`) on embedded PGlite in a temporary
 * data directory, replaying the bundled fleet as fast as it can: SIGTERM in the middle of the
 * replay, then a restart on the same directory.
 */
const dir = mkdtempSync(join(tmpdir(), 'autonoma-restart-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const ENV = { STREAM_DELAY_SECONDS: '0', SHUTDOWN_TIMEOUT_MS: '10000' }
const EXIT_WAIT_MS = 15_000

interface WriterStats {
  written: number
  pending: number
  dropped: number
}

interface Health {
  components: { telemetry_writer: WriterStats; ingestion: { accepted: number } }
}

/** Starts the server, waits until the replay has stored `rows`, sends SIGTERM, returns what it said. */
async function runUntilStored(env: Record<string, string>, rows: number) {
  const server = await startServerProcess(env)
  try {
    await until(
      `${rows} stored readings`,
      async () => (await server.healthDetails<Health>()).body.components.telemetry_writer.written >= rows,
      60_000,
    )
    server.child.kill('SIGTERM')
    const exit = await server.exited(EXIT_WAIT_MS)
    const find = (msg: string) => server.logs.find((l) => l.msg === msg) as LogLine
    return {
      exit,
      intake: find('intake stopped') as LogLine & { accepted: number },
      stopped: find('stopped') as LogLine & { writer: WriterStats },
      resumed: find('replay resumes after the last stored reading'),
      logs: server.logs,
    }
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
  }
}

async function stored(dataDir: string) {
  const h = await openDatabase({ kind: 'pglite', dataDir })
  try {
    const count = await sql<{ n: number; last: Date | null }>`
      select count(*)::int as n, max(ts) as last from telemetry_logs`.execute(h.db)
    const last = count.rows[0]!.last
    const before = await sql<{ n: number }>`
      select count(*)::int as n from telemetry_logs where ts < ${last ?? new Date(0)}`.execute(h.db)
    const dupes = await sql`
      select vehicle_id, ts, count(*) from telemetry_logs group by 1, 2 having count(*) > 1`.execute(h.db)
    return { rows: count.rows[0]!.n, last, before: before.rows[0]!.n, dupes: dupes.rows.length, h }
  } catch (err) {
    await h.close()
    throw err
  }
}

describe('server process: stop and restart on a persisted database', () => {
  it('stops mid-replay losing nothing accepted, then resumes after the last stored reading', async () => {
    const dataDir = join(dir, 'pglite')
    const env = { ...ENV, DATABASE_URL: dataDir }

    const first = await runUntilStored(env, 2000)
    expect(first.exit).toEqual({ code: 0, signal: null })
    expect(first.stopped.writer.pending).toBe(0)
    expect(first.stopped.writer.dropped).toBe(0)
    // Every reading the pipeline accepted before intake stopped was written, and nothing after.
    expect(first.stopped.writer.written).toBe(first.intake.accepted)
    const afterFirst = await stored(dataDir)
    await afterFirst.h.close()
    expect(afterFirst.rows).toBe(first.stopped.writer.written)
    expect(afterFirst.last).toBeInstanceOf(Date)

    const second = await runUntilStored(env, 2000)
    expect(second.exit).toEqual({ code: 0, signal: null })
    expect(second.resumed).toMatchObject({ resume_after: afterFirst.last!.toISOString() })
    expect(second.stopped.writer.written).toBe(second.intake.accepted)
    const afterSecond = await stored(dataDir)
    try {
      expect(afterSecond.rows).toBe(first.stopped.writer.written + second.stopped.writer.written)
      expect(afterSecond.dupes).toBe(0)
      // Nothing of the second run went before where the first one ended; the step the stop cut
      // short (at that instant) was completed, for the vehicles it lacked.
      const at = await sql<{ before: number; cut: number }>`
        select count(*) filter (where ts < ${afterFirst.last})::int as before,
               count(*) filter (where ts = ${afterFirst.last})::int as cut
        from telemetry_logs`.execute(afterSecond.h.db)
      expect(at.rows[0]).toEqual({ before: afterFirst.before, cut: 10 })
    } finally {
      await afterSecond.h.close()
    }
  }, 150_000)

  it('exits 0 on SIGTERM on the in-memory database too, with every accepted reading written', async () => {
    const run = await runUntilStored({ ...ENV, DATABASE_URL: 'memory://' }, 1000)
    expect(run.exit).toEqual({ code: 0, signal: null })
    expect(run.stopped.writer).toMatchObject({ pending: 0, dropped: 0, written: run.intake.accepted })
  }, 90_000)

  it('restarts a live replay (wall-clock stamps) at the next row of the file: every row once, none skipped', async () => {
    const dataDir = join(dir, 'pglite-live')
    const startedAt = Date.now()
    const env = { SHUTDOWN_TIMEOUT_MS: '10000', STREAM_DELAY_SECONDS: '0.02', DATABASE_URL: dataDir }
    const first = await runUntilStored(env, 300)
    expect(first.exit).toEqual({ code: 0, signal: null })
    const second = await runUntilStored(env, 300)
    expect(second.exit).toEqual({ code: 0, signal: null })
    expect(second.resumed).toMatchObject({ clock: 'live', loop: 0 })

    // What each vehicle should have: the file's rows in order, as many as were stored.
    const file = new Map<string, TelemetryReading[]>()
    for await (const r of new StreamEngine('data/fleet_15min.csv', {
      delaySeconds: 0,
      loop: false,
    }).streamData()) {
      if (!file.has(r.vin)) file.set(r.vin, [])
      file.get(r.vin)!.push(r)
      if (r.timestamp > '2026-10-03') break
    }
    const FIELDS = ['soc', 'battery_temperature', 'distance_traveled'] as const
    const idx = FIELDS.map((f) => NUMERIC_FIELDS.indexOf(f))
    const h = await openDatabase({ kind: 'pglite', dataDir })
    try {
      const { rows } = await sql<{ vin: string; ts: Date; vals: (number | null)[] }>`
        select v.vin, t.ts, t.vals from telemetry_logs t join vehicles v on v.id = t.vehicle_id
        order by v.vin, t.ts`.execute(h.db)
      expect(rows.length).toBe(first.stopped.writer.written + second.stopped.writer.written)
      const byVin = new Map<string, typeof rows>()
      for (const r of rows) byVin.set(r.vin, [...(byVin.get(r.vin) ?? []), r])
      expect(byVin.size).toBe(10)
      for (const [vin, stored] of byVin) {
        // The wall clock of the two runs, not the file's October.
        for (const r of stored) expect(new Date(r.ts).getTime()).toBeGreaterThanOrEqual(startedAt - 1000)
        const expected = file.get(vin)!.slice(0, stored.length)
        expect(stored.map((r) => idx.map((i) => r.vals[i]))).toEqual(
          expected.map((r) => FIELDS.map((f) => r[f])),
        )
      }
      const segments = await sql<{ first_step: string }>`
        select first_step from replay_segments order by started_at`.execute(h.db)
      expect(segments.rows).toHaveLength(2)
      expect(Number(segments.rows[1]!.first_step)).toBeGreaterThan(0)
    } finally {
      await h.close()
    }
  }, 150_000)
})
