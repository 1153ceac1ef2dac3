import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Where audit rows wait, oldest first, while the database cannot take them: segments of rows
 * (one per spooled batch), bounded in rows. `DiskSpool` keeps them in files, so a restart during
 * an outage still writes them; `MemorySpool` (in-memory databases) only for the process's life.
 */
export interface Spool<T> {
  readonly kind: 'disk' | 'memory'
  /** Rows waiting in every segment. */
  readonly rows: number
  /** Loads what an earlier process left (disk); resolves with the rows found. */
  open(): Promise<number>
  /** Appends a segment at the end. */
  push(rows: T[]): Promise<void>
  /** The oldest segment, or undefined when empty. */
  peek(): Promise<T[] | undefined>
  /** Removes the oldest segment (once it is stored). */
  shift(): Promise<void>
}

export class MemorySpool<T> implements Spool<T> {
  readonly kind = 'memory'
  private readonly segments: T[][] = []
  private count = 0

  get rows(): number {
    return this.count
  }

  async open(): Promise<number> {
    return this.count
  }

  async push(rows: T[]): Promise<void> {
    this.segments.push(rows)
    this.count += rows.length
  }

  async peek(): Promise<T[] | undefined> {
    return this.segments[0]
  }

  async shift(): Promise<void> {
    const first = this.segments.shift()
    if (first) this.count -= first.length
  }
}

const SEGMENT = /^(\d{16})\.jsonl$/

/**
 * One file per segment (`0000000000000001.jsonl`, one JSON row a line), written to a temporary
 * name and renamed, so that a crash leaves either the whole segment or none of it. Only the
 * segment names and sizes stay in memory.
 */
export class DiskSpool<T> implements Spool<T> {
  readonly kind = 'disk'
  private readonly segments: { name: string; rows: number }[] = []
  private count = 0
  private next = 1

  constructor(private readonly dir: string) {}

  get rows(): number {
    return this.count
  }

  async open(): Promise<number> {
    await mkdir(this.dir, { recursive: true })
    const names = (await readdir(this.dir)).filter((n) => SEGMENT.test(n)).sort()
    for (const name of names) {
      const rows = (await this.read(name)).length
      this.segments.push({ name, rows })
      this.count += rows
      this.next = Math.max(this.next, Number(SEGMENT.exec(name)![1]) + 1)
    }
    return this.count
  }

  async push(rows: T[]): Promise<void> {
    const name = `${String(this.next++).padStart(16, '0')}.jsonl`
    const tmp = join(this.dir, `${name}.tmp`)
    await writeFile(tmp, rows.map((r) => `${JSON.stringify(r)}\n`).join(''))
    await rename(tmp, join(this.dir, name))
    this.segments.push({ name, rows: rows.length })
    this.count += rows.length
  }

  async peek(): Promise<T[] | undefined> {
    const first = this.segments[0]
    return first ? this.read(first.name) : undefined
  }

  async shift(): Promise<void> {
    const first = this.segments.shift()
    if (!first) return
    this.count -= first.rows
    await rm(join(this.dir, first.name), { force: true })
  }

  private async read(name: string): Promise<T[]> {
    const text = await readFile(join(this.dir, name), 'utf8')
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as T)
  }
}
