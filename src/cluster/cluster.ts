import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type { Config, NatsConfig } from '../config.js'
import type { PartitionView as PartitionMetric } from '../lib/metrics.js'
import { type ClusterView, ClusterWatch } from './cluster-view.js'
import { type NatsLink, openNats } from './nats-connection.js'
import { NatsEventBus } from './nats-event-bus.js'
import { PartitionConsumer, type PartitionStats, type ReadingTarget } from './partition-consumer.js'
import { type LeaseStats, PartitionLeases } from './partition-leases.js'
import { partitionOf } from './partitions.js'
import { type PublisherStats, ReadingPublisher } from './reading-publisher.js'

/** What the cluster looks like from this process: `/api/health/details` and metrics read it. */
export interface ClusterSnapshot extends ClusterView {
  role: Config['role']
  /** This process (a worker's lease holder name). */
  id: string
  stream: string
  partitionCount: number
  connection: NatsLink['connection']
  /** The partitions this process consumes (a worker), with its own counts of each. */
  owned: PartitionStats[]
  leases: LeaseStats | null
  publisher: PublisherStats
  events: NatsEventBus['stats']
}

/**
 * Rebuilds what a worker keeps in memory about the vehicles of a partition it takes over (their
 * newest stored reading, open episodes), from the database, before its first reading is taken.
 */
export type TakeOver = (inPartition: (vin: string) => boolean) => Promise<void>

/**
 * A process's part in the cluster: the event bus over core NATS, the stream publisher that device
 * intake hands readings to, and for a worker the partition leases and their consumers.
 */
export class Cluster {
  readonly id: string
  readonly bus: NatsEventBus
  readonly publisher: ReadingPublisher
  private readonly consumers = new Map<number, PartitionConsumer>()
  private readonly watch: ClusterWatch
  private leases: PartitionLeases | undefined
  private draining = false

  private constructor(
    private readonly link: NatsLink,
    readonly role: Config['role'],
    id: string,
    private readonly log: FastifyBaseLogger,
  ) {
    this.id = id
    // Workers publish events but have no WebSocket or MQTT clients to hand them to.
    this.bus = new NatsEventBus(link.nc, link.subjects, {
      listen: role !== 'worker',
      onHandlerError: (err) => log.error({ err }, 'event subscriber failed'),
    })
    this.publisher = new ReadingPublisher(
      link.js,
      link.subjects,
      () => link.connection.status === 'connected',
    )
    this.watch = new ClusterWatch(link)
  }

  static async open(config: NatsConfig, role: Config['role'], log: FastifyBaseLogger): Promise<Cluster> {
    const id = `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`
    const link = await openNats(config, `autonoma-${role}-${id}`, log)
    return new Cluster(link, role, id, log.child({ component: 'cluster', node: id }))
  }

  /** True when this process consumes readings (role `worker`, or `all` with NATS). */
  get consumes(): boolean {
    return this.role !== 'api'
  }

  /**
   * Starts taking partitions: each one's vehicles are rebuilt (`takeOver`) before it is consumed.
   * A reading is acknowledged after its row is committed and `settled` (what the analysis of it
   * counted elsewhere, the episode counters) has resolved.
   */
  startConsuming(target: ReadingTarget, settled: () => Promise<void>, takeOver: TakeOver): void {
    const { partitions, leaseTtlMs } = this.link.config
    const stopConsumer = (p: number) => {
      this.consumers.get(p)?.stop()
      this.consumers.delete(p)
    }
    this.leases = new PartitionLeases(
      this.link.leases,
      { id: this.id, partitions, ttlMs: leaseTtlMs, log: this.log },
      {
        acquired: async (p) => {
          if (this.draining) throw new Error('stopping: the partition is left to the others')
          await takeOver((vin) => partitionOf(vin, partitions) === p)
          const consumer = new PartitionConsumer(this.link, p, target, this.log, settled)
          this.consumers.set(p, consumer)
          await consumer.start()
        },
        release: async (p) => {
          await this.consumers.get(p)?.settle(leaseTtlMs / 2)
          this.consumers.delete(p)
        },
        lost: stopConsumer,
      },
    )
    this.leases.start()
  }

  snapshot(): ClusterSnapshot {
    return {
      role: this.role,
      id: this.id,
      stream: this.link.config.stream,
      partitionCount: this.link.config.partitions,
      connection: { ...this.link.connection },
      ...this.watch.view,
      owned: [...this.consumers.values()].map((c) => c.stats).sort((a, b) => a.partition - b.partition),
      leases: this.leases?.stats ?? null,
      publisher: this.publisher.stats,
      events: this.bus.stats,
    }
  }

  /**
   * Every partition as this process's metrics show it: whether it holds the lease, the consumer
   * lag and redeliveries (from the last cluster read, so a scrape never waits on the broker).
   */
  partitionMetrics(): PartitionMetric[] {
    return this.watch.view.partitions.map((p) => ({
      partition: p.partition,
      owned: p.owner === this.id,
      lag: p.lag,
      redeliveries: p.redelivered,
    }))
  }

  /** Device intake refuses from now on; consumers take no further message (in flight ones commit). */
  stopIntake(): void {
    this.draining = true
    this.publisher.stopIntake()
    for (const c of this.consumers.values()) c.stop()
  }

  /**
   * After the writer's last commit: leases handed over (the others take the partitions at once,
   * not after the TTL), in-flight publishes answered. The connection stays open: `close()`.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopIntake()
    await this.publisher.drain(timeoutMs)
    await this.leases?.stop()
    this.watch.close()
  }

  /** Drains the connection: the last acknowledgements and events go out. */
  async close(): Promise<void> {
    this.watch.close()
    await this.link.close()
  }
}
