import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type MachineInfo, machineInfo } from './machine.js'

export type Row = Record<string, string | number | null>

/** Whether the run was asked to be small (`npm run bench -- --quick`). */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'

/** Full runs write the committed results; quick runs write beside the temp fleets, not over them. */
export const RESULTS_DIR = QUICK
  ? join(os.tmpdir(), 'autonoma-bench', 'results/')
  : fileURLToPath(new URL('../results/', import.meta.url))

export interface BenchResult {
  name: string
  quick: boolean
  machine: MachineInfo
  startedAt: string
  finishedAt: string
  /** Load averages when the script ended (the machine's at start are in `machine`). */
  loadavgAtEnd: number[]
  tables: Record<string, Row[]>
  notes: string[]
  [extra: string]: unknown
}

/** Collects a script's tables and notes, prints them, and writes `bench/results/<name>.json`. */
export class Bench {
  readonly machine = machineInfo()
  private readonly tables: Record<string, Row[]> = {}
  private readonly notes: string[] = []
  private readonly extra: Record<string, unknown> = {}

  constructor(readonly name: string) {
    console.log(
      `\n== ${name}${QUICK ? ' (quick)' : ''} on ${this.machine.cpu}, ${this.machine.cores} CPUs, ` +
        `load ${this.machine.loadavg.join(' ')}`,
    )
  }

  table(title: string, rows: Row[]): void {
    this.tables[title] = rows
    printTable(title, rows)
  }

  note(text: string): void {
    this.notes.push(text)
    console.log(`  note: ${text}`)
  }

  set(key: string, value: unknown): void {
    this.extra[key] = value
  }

  save(): string {
    const result: BenchResult = {
      name: this.name,
      quick: QUICK,
      machine: this.machine,
      startedAt: this.machine.date,
      finishedAt: new Date().toISOString(),
      loadavgAtEnd: machineInfo().loadavg,
      tables: this.tables,
      notes: this.notes,
      ...this.extra,
    }
    mkdirSync(RESULTS_DIR, { recursive: true })
    const path = `${RESULTS_DIR}${this.name}.json`
    writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`)
    console.log(`  -> ${path}`)
    return path
  }
}

export function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '-'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '-'
    if (Number.isInteger(value)) return value.toLocaleString('en-US')
    return Math.abs(value) >= 100
      ? Math.round(value).toLocaleString('en-US')
      : String(Math.round(value * 100) / 100)
  }
  return value
}

/** Markdown-compatible table on stdout. */
export function printTable(title: string, rows: Row[]): void {
  console.log(`\n### ${title}\n`)
  console.log(markdownTable(rows))
}

export function markdownTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)'
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  const lines = [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`]
  for (const r of rows) lines.push(`| ${columns.map((c) => cell(r[c])).join(' | ')} |`)
  return lines.join('\n')
}

export const round = (x: number, digits = 1): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export const mb = (bytes: number): number => round(bytes / 2 ** 20, 1)
