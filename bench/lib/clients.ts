import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ClientReport } from '../ws-client.js'
import { LatencyHistogram } from './stats.js'

const CLIENT = fileURLToPath(new URL('../ws-client.ts', import.meta.url))

/** `count` WebSocket clients in one forked process. */
export class ClientProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly open: number,
  ) {}

  static async start(url: string, count: number): Promise<ClientProcess> {
    const child = fork(CLIENT, [url, String(count)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const open = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { type: string; open: number }) => resolve(m.open))
      child.once('exit', (code) => reject(new Error(`client process exited with ${code}`)))
    })
    return new ClientProcess(child, open)
  }

  report(): Promise<ClientReport> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string; report: ClientReport }) => {
        if (m.type !== 'report') return
        this.child.off('message', onMessage)
        resolve(m.report)
      }
      this.child.on('message', onMessage)
      this.child.send({ cmd: 'report' })
    })
  }

  /** Stops (or restarts) reading from every socket of this process. */
  setPaused(paused: boolean): Promise<void> {
    const cmd = paused ? 'pause' : 'resume'
    return new Promise((resolve) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== cmd) return
        this.child.off('message', onMessage)
        resolve()
      }
      this.child.on('message', onMessage)
      this.child.send({ cmd })
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve()
      this.child.once('exit', () => resolve())
      this.child.send({ cmd: 'close' })
      setTimeout(() => this.child.kill(), 3000).unref()
    })
  }
}

export function histogramOf(report: ClientReport): LatencyHistogram {
  const h = new LatencyHistogram()
  h.merge(report.latency)
  return h
}
