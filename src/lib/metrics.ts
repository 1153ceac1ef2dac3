import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { type MetricSources, registerSourceFamilies } from './metric-families.js'

export type { MetricSources } from './metric-families.js'

/** One partition as the process that consumes it sees it (fed by the NATS workers, when there are any). */
export interface PartitionView {
  partition: number
  /** This process holds the partition's lease now. */
  owned: boolean
  /** Messages on the partition's subject not yet acknowledged by its consumer. */
  lag: number
  /** Deliveries after the first, counted from the consumer's start. */
  redeliveries: number
}

/** What a clustered process knows about its partitions, read at scrape time. */
export interface ClusterSource {
  partitions(): PartitionView[]
}

/** Seconds; alerts and agent runs are seconds apart at worst, so the buckets stop at a minute. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
const RUN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

/**
 * The process's own numbers (CPU, memory, event-loop delay, GC): one set per process, however
 * many services a test builds in it, and made at the first scrape (the collectors keep observers).
 */
let processRegistry: Registry | undefined
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/**
 * The Prometheus metrics of one `Services`: a registry of its own (tests build many services in
 * one process). Almost every number is read at scrape time from the counters and snapshots the
 * services keep anyway (`readFrom`), so the per-reading path does no extra work; only agent runs
 * and alerts, which are rare, are observed as they happen.
 */
export class ServiceMetrics {
  readonly registry = new Registry()
  private readonly runs: Histogram<'outcome'>
  private readonly alerts: Histogram<'severity'>
  private cluster: ClusterSource | undefined
  private reading = false

  constructor(info: { version: string }) {
    const registers = [this.registry]
    new Gauge({
      name: 'autonoma_build_info',
      help: 'Always 1; the version as a label',
      labelNames: ['version'],
      registers,
    }).set({ version: info.version }, 1)
    this.runs = new Histogram({
      name: 'autonoma_agent_run_duration_seconds',
      help: 'Agent graph runs, start to end (including the wait for a follow-up slot), by outcome: completed, error (the final state carries an error and the fallback was sent), failed (threw)',
      labelNames: ['outcome'],
      buckets: RUN_BUCKETS,
      registers,
    })
    this.alerts = new Histogram({
      name: 'autonoma_alert_latency_seconds',
      help: 'From the arrival in this process of the reading that asked for an alert to the alert going out, by severity',
      labelNames: ['severity'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.clusterFamilies(registers)
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** An agent run ended (see `RunObserver` in agents/episodes). */
  runEnded(outcome: string, seconds: number): void {
    this.runs.observe({ outcome }, seconds)
  }

  /** An alert went out, `seconds` after its reading arrived. */
  alertSent(severity: string, seconds: number): void {
    this.alerts.observe({ severity }, seconds)
  }

  /** The families read from the services at scrape time; called once, when the services exist. */
  readFrom(sources: MetricSources): void {
    if (this.reading) throw new Error('the metrics read their sources already')
    this.reading = true
    registerSourceFamilies([this.registry], sources)
  }

  /**
   * The partitions this process owns, their consumer lag and redeliveries, from `source` at every
   * scrape (a later call replaces the source). Until one is registered the families are empty.
   */
  registerClusterGauges(source: ClusterSource): void {
    this.cluster = source
  }

  /** The exposition text: this service's families, then the process's. */
  async text(): Promise<string> {
    const own = await this.registry.metrics()
    return `${own}\n${await processMetrics().metrics()}`
  }

  private clusterFamilies(registers: Registry[]): void {
    const partitions = () => this.cluster?.partitions() ?? []
    new Gauge({
      name: 'autonoma_partitions_owned',
      help: 'Telemetry partitions whose lease this process holds',
      registers,
      collect() {
        this.set(partitions().filter((p) => p.owned).length)
      },
    })
    new Gauge({
      name: 'autonoma_partition_owned',
      help: 'Per partition this process knows of: 1 while it holds the lease, 0 otherwise',
      labelNames: ['partition'],
      registers,
      collect() {
        this.reset()
        for (const p of partitions()) this.set({ partition: String(p.partition) }, p.owned ? 1 : 0)
      },
    })
    new Gauge({
      name: 'autonoma_consumer_lag',
      help: 'Readings on a partition not yet acknowledged by its consumer in this process',
      labelNames: ['partition'],
      registers,
      collect() {
        this.reset()
        for (const p of partitions()) if (p.owned) this.set({ partition: String(p.partition) }, p.lag)
      },
    })
    new Counter({
      name: 'autonoma_consumer_redeliveries_total',
      help: 'Readings delivered again to this process (not acknowledged in time, or taken over from a dead worker), per partition',
      labelNames: ['partition'],
      registers,
      collect() {
        this.reset()
        for (const p of partitions()) this.inc({ partition: String(p.partition) }, p.redeliveries)
      },
    })
  }
}
