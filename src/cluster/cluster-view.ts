import type { NatsLink } from './nats-connection.js'

/** One partition as the cluster sees it. */
export interface PartitionView {
  partition: number
  /** The worker holding its lease, or null (none yet, or its lease expired). */
  owner: string | null
  /** Readings on the stream not yet acknowledged: not handed out yet, plus handed out and in flight. */
  lag: number
  pending: number
  ackPending: number
  /** Redeliveries by the partition's current consumer (it is made afresh at each take-over). */
  redelivered: number
}

export interface ClusterView {
  workers: string[]
  partitions: PartitionView[]
  /** Readings on the stream in all (not yet stored). */
  streamMessages: number
  updatedAt: string | null
  error: string | null
}

/**
 * The whole cluster read from NATS every `intervalMs`: live workers and owners from the lease
 * bucket, lag and redeliveries from each partition's consumer. Kept here so a health request or a
 * metrics scrape reads memory, never the broker.
 */
export class ClusterWatch {
  private view_: ClusterView = {
    workers: [],
    partitions: [],
    streamMessages: 0,
    updatedAt: null,
    error: null,
  }
  private readonly timer: NodeJS.Timeout
  private busy = false

  constructor(
    private readonly link: NatsLink,
    intervalMs = 2000,
  ) {
    this.timer = setInterval(() => void this.refresh(), intervalMs)
    this.timer.unref()
    void this.refresh()
  }

  get view(): ClusterView {
    return this.view_
  }

  async refresh(): Promise<void> {
    if (this.busy || this.link.nc.isClosed()) return
    this.busy = true
    try {
      const { leases, jsm, config } = this.link
      const workers: string[] = []
      const owners = new Map<number, string>()
      for await (const key of await leases.keys()) {
        if (key.startsWith('workers.')) workers.push(key.slice('workers.'.length))
        else if (key.startsWith('partitions.')) {
          const entry = await leases.get(key)
          if (entry && entry.operation === 'PUT')
            owners.set(Number(key.slice('partitions.'.length)), entry.string())
        }
      }
      const partitions: PartitionView[] = []
      for (let p = 0; p < config.partitions; p++) {
        const info = await jsm.consumers.info(config.stream, this.link.consumerName(p)).catch(() => undefined)
        const pending = info?.num_pending ?? 0
        const ackPending = info?.num_ack_pending ?? 0
        partitions.push({
          partition: p,
          owner: owners.get(p) ?? null,
          lag: pending + ackPending,
          pending,
          ackPending,
          redelivered: info?.num_redelivered ?? 0,
        })
      }
      const stream = await jsm.streams.info(config.stream)
      this.view_ = {
        workers: workers.sort(),
        partitions,
        streamMessages: stream.state.messages,
        updatedAt: new Date().toISOString(),
        error: null,
      }
    } catch (err) {
      this.view_ = { ...this.view_, error: err instanceof Error ? err.message : String(err) }
    } finally {
      this.busy = false
    }
  }

  close(): void {
    clearInterval(this.timer)
  }
}
