import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
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
    const dupes = await sql`
      select vehicle_id, ts, count(*) from telemetry_logs group by 1, 2 having count(*) > 1`.execute(h.db)
    return { rows: count.rows[0]!.n, last: count.rows[0]!.last, dupes: dupes.rows.length, h }
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
      // Nothing of the second run went at or before where the first one ended.
      const early = await sql<{ n: number }>`
        select count(*)::int as n from telemetry_logs where ts <= ${afterFirst.last}`.execute(
        afterSecond.h.db,
      )
      expect(early.rows[0]!.n).toBe(first.stopped.writer.written)
    } finally {
      await afterSecond.h.close()
    }
  }, 150_000)

  it('exits 0 on SIGTERM on the in-memory database too, with every accepted reading written', async () => {
    const run = await runUntilStored({ ...ENV, DATABASE_URL: 'memory://' }, 1000)
    expect(run.exit).toEqual({ code: 0, signal: null })
    expect(run.stopped.writer).toMatchObject({ pending: 0, dropped: 0, written: run.intake.accepted })
  }, 90_000)
})
