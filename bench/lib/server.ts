import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { BENCH_JWT_SECRET } from './app.js'
import { ROOT } from './fleet.js'

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      srv.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/** `npm run build` (compiles only when dist/ is stale); false when the build failed. */
export function ensureBuild(): boolean {
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts/ensure-build.mjs')], { cwd: ROOT, stdio: 'inherit' })
    return existsSync(join(ROOT, 'dist/server.js'))
  } catch {
    return false
  }
}

export interface ServerProcess {
  child: ChildProcess
  base: string
  /** From spawn to the first 200 from /api/health. */
  healthyMs: number
  /**
   * CPU time (user + system, every thread) the process had used by then, from /proc (Linux); on a
   * machine shared with other work it varies less than the wall time. Undefined elsewhere, and for
   * `npm` (the server is npm's child).
   */
  cpuMs: number | undefined
  stop(): Promise<void>
}

/**
 * Starts the server as its own process (`command` + `args`, e.g. `node dist/server.js` or
 * `npm start`) on a free port and waits for /api/health to answer 200.
 */
export async function startServer(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
  cwd = ROOT,
): Promise<ServerProcess> {
  // npm runs the server as its child: the whole process group (ours, by its id) is stopped.
  const group = command === 'npm'
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const t0 = performance.now()
  const child = spawn(command, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      JWT_SECRET_KEY: BENCH_JWT_SECRET,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: group,
  })
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000)
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    const signal = (sig: NodeJS.Signals) => {
      if (group && child.pid) process.kill(-child.pid, sig)
      else child.kill(sig)
    }
    signal('SIGTERM')
    const timer = setTimeout(() => signal('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`)
    if (performance.now() - t0 > timeoutMs) {
      await stop()
      throw new Error(`server not healthy within ${timeoutMs} ms: ${stderr}`)
    }
    try {
      const res = await fetch(`${base}/api/health`)
      if (res.status === 200) {
        const healthyMs = performance.now() - t0
        const cpuMs = group ? undefined : processCpuMs(child.pid)
        await res.arrayBuffer()
        return { child, base, healthyMs, cpuMs, stop }
      }
      await res.arrayBuffer()
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** utime + stime of a process, in ms, from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
export function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    // Field 3 is the first after the command; ticks are 1/100 s on Linux (USER_HZ).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}
