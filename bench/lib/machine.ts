import { execFileSync } from 'node:child_process'
import os from 'node:os'

export interface MachineInfo {
  cpu: string
  cores: number
  threadsPerCore: number | null
  memoryGb: number
  node: string
  platform: string
  hypervisor: string | null
  date: string
  /** 1, 5 and 15 minute load averages when the script started: other work on the machine skews results. */
  loadavg: number[]
}

function lscpu(): Record<string, string> {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const fields: Record<string, string> = {}
    for (const line of out.split('\n')) {
      const i = line.indexOf(':')
      if (i > 0) fields[line.slice(0, i).trim()] = line.slice(i + 1).trim()
    }
    return fields
  } catch {
    return {}
  }
}

/** The machine the numbers came from, as BENCHMARKS.md states it. */
export function machineInfo(): MachineInfo {
  const l = lscpu()
  return {
    cpu: l['Model name'] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: Number(l['CPU(s)'] ?? os.availableParallelism()),
    threadsPerCore: l['Thread(s) per core'] ? Number(l['Thread(s) per core']) : null,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    hypervisor: l['Hypervisor vendor'] ?? null,
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  }
}
