import type { UebaEntityRow } from '../../db/repositories/ueba-entities.js'
import type { BehaviourAnalytics } from './analytics.js'

export interface EntityStore {
  loadAll(): Promise<UebaEntityRow[]>
  save(rows: readonly UebaEntityRow[]): Promise<void>
}

/**
 * Keeps behaviour analytics across restarts: loads every entity before the service takes
 * traffic, writes the ones that changed every `intervalMs` and once more at stop. A failed
 * write keeps its rows for the next one (the database may be away for a while).
 */
export class AnalyticsPersistence {
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private readonly stats_ = { saved: 0, failures: 0, lastError: null as string | null }

  constructor(
    private readonly analytics: BehaviourAnalytics,
    private readonly store: EntityStore,
    private readonly options: { intervalMs?: number; onError?: (err: unknown) => void } = {},
  ) {}

  get stats() {
    return { ...this.stats_ }
  }

  async start(): Promise<void> {
    this.analytics.load(await this.store.loadAll())
    this.timer = setInterval(() => void this.persist(), this.options.intervalMs ?? 30_000)
    this.timer.unref()
  }

  /** Writes what changed since the last write (one at a time). */
  persist(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const rows = this.analytics.takeDirty()
      if (rows.length === 0) return
      try {
        await this.store.save(rows)
        this.stats_.saved += rows.length
      } catch (err) {
        this.analytics.markDirty(rows)
        this.stats_.failures++
        this.stats_.lastError = err instanceof Error ? err.message : String(err)
        this.options.onError?.(err)
      }
    })
    return this.writing
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.persist()
  }
}
