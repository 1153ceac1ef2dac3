import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import type { Db } from '../../src/db/client.js'

const TICK_US = 10_000 // CLK_TCK = 100 on Linux

/**
 * CPU time of the PostgreSQL backends serving one database, read from /proc (the server is local).
 * With the Node process's own CPU time this splits the cost of a reading between the two, which
 * says more than a wall-clock rate on a machine that other work shares.
 */
export class BackendCpu {
  private readonly start = new Map<number, number>()

  private constructor(private readonly db: Db) {}

  static async begin(db: Db): Promise<BackendCpu> {
    const probe = new BackendCpu(db)
    for (const pid of await probe.pids()) probe.start.set(pid, cpuOf(pid))
    return probe
  }

  /** Microseconds of CPU used since `begin` by the database's backends (0 where /proc is not readable). */
  async elapsedUs(): Promise<number> {
    let total = 0
    for (const pid of await this.pids()) total += Math.max(0, cpuOf(pid) - (this.start.get(pid) ?? 0))
    return total
  }

  private async pids(): Promise<number[]> {
    const r = await sql<{ pid: number }>`
      select pid from pg_stat_activity where datname = current_database()`.execute(this.db)
    return r.rows.map((x) => Number(x.pid))
  }
}

function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces): utime is the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_US
  } catch {
    return 0
  }
}
