import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { setPriority } from 'node:os'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'

const ROOT = resolve(import.meta.dirname, '../..')

export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

/** `src/server.ts` run by Node (through tsx) as a child process, with its JSON log lines collected. */
export interface ServerProcess {
  child: ChildProcess
  logs: LogLine[]
  /** `http://127.0.0.1:<port>`, once it listens. */
  url: string
  /** The first log line with this message, waiting for it up to `ms`. */
  waitForLog(msg: string, ms?: number): Promise<LogLine>
  /** Resolves with the exit code and signal, or rejects after `ms` (the process is then killed). */
  exited(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  getJson<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>
  /** GET /api/health/details as the demo manufacturer (the components are staff-only). */
  healthDetails<T = Record<string, unknown>>(): Promise<{ status: number; body: T }>
}

/** Polls `check` until it returns a value other than undefined or false, or fails after `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms: number,
): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined && value !== false) return value
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${ms} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function startServerProcess(
  env: Record<string, string>,
  /** How long start-up may take (a loaded machine running several server processes needs more). */
  { upWithinMs = 60_000 }: { upWithinMs?: number } = {},
): Promise<ServerProcess> {
  let staffToken: string | undefined
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      JWT_SECRET_KEY: 'test-secret-that-is-long-enough-for-hs256-keys',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // A replay at full speed takes a whole core; on a 2-core machine running two test workers it
  // would starve the other files' hooks. Lower priority: it only has to be correct, not fast.
  if (child.pid) setPriority(child.pid, 10)
  const logs: LogLine[] = []
  const stderr: string[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line))
    } catch {
      stderr.push(line)
    }
  })
  child.stderr!.on('data', (chunk) => stderr.push(String(chunk)))
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>

  const waitForLog = async (msg: string, ms = 60_000) => {
    const end = Date.now() + ms
    for (;;) {
      const line = logs.find((l) => l.msg === msg)
      if (line) return line
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `the server exited (${child.exitCode ?? child.signalCode}): ${stderr.join('').slice(-2000)}`,
        )
      if (Date.now() > end)
        throw new Error(`no log "${msg}" within ${ms} ms: ${stderr.join('').slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const listening = await waitForLog('Autonoma is up', upWithinMs)
  const at = logs.find((l) => /^Server listening at http:\/\/127\.0\.0\.1:\d+$/.test(l.msg))
  if (!listening || !at) throw new Error('the server did not say where it listens')
  const url = at.msg.slice('Server listening at '.length)

  return {
    child,
    logs,
    url,
    waitForLog,
    async exited(ms) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL')
          reject(new Error(`the server did not exit within ${ms} ms`))
        }, ms)
      })
      try {
        const [code, signal] = await Promise.race([exit, timeout])
        return { code, signal }
      } finally {
        clearTimeout(timer)
      }
    },
    async getJson<T>(path: string) {
      const res = await fetch(`${url}${path}`)
      return { status: res.status, body: (await res.json()) as T }
    },
    async healthDetails<T>() {
      staffToken ??= await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@oem.com', password: 'admin_pass' }),
      })
        .then((r) => r.json() as Promise<{ access_token: string }>)
        .then((b) => b.access_token)
      const res = await fetch(`${url}/api/health/details`, {
        headers: { authorization: `Bearer ${staffToken}` },
      })
      return { status: res.status, body: (await res.json()) as T }
    },
  }
}
