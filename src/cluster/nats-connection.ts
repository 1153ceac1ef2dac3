import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import { type KV, Kvm } from '@nats-io/kv'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { FastifyBaseLogger } from 'fastify'
import type { NatsConfig } from '../config.js'
import { type Subjects, subjects } from './partitions.js'

/** A reading stays on the stream at most this long unacknowledged (a week of outage). */
const MAX_AGE_MS = 7 * 24 * 3_600_000
/** A partition's readings handed out and not yet acknowledged: what one worker has in flight. */
export const MAX_ACK_PENDING = 4000

/** One process's link to the cluster: the connection, JetStream, the lease bucket, the subjects. */
export interface NatsLink {
  config: NatsConfig
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  leases: KV
  subjects: Subjects
  /** `p<n>`: the durable consumer of partition n. */
  consumerName(partition: number): string
  /** What the connection went through (reconnects, disconnects), for the cluster view. */
  readonly connection: {
    status: 'connected' | 'reconnecting' | 'closed'
    reconnects: number
    disconnects: number
  }
  /** Drains (pending publishes and acks go out) and closes. */
  close(): Promise<void>
}

const nanos = (ms: number) => ms * 1_000_000

/**
 * Connects (retrying forever: the broker may come back), and makes sure the stream of readings
 * and the lease bucket exist. The stream is a work queue: a reading leaves it when its worker
 * acknowledges it, after the database commit, so what it holds is exactly what is not stored yet.
 */
export async function openNats(config: NatsConfig, name: string, log: FastifyBaseLogger): Promise<NatsLink> {
  const nc = await connect({
    servers: config.servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
  })
  const connection = {
    status: 'connected' as 'connected' | 'reconnecting' | 'closed',
    reconnects: 0,
    disconnects: 0,
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connection.disconnects++
        connection.status = 'reconnecting'
        log.warn({ server: s.server }, 'NATS disconnected; reconnecting')
      } else if (s.type === 'reconnect') {
        connection.reconnects++
        connection.status = 'connected'
        log.info({ server: s.server }, 'NATS reconnected')
      }
    }
  })()
  void nc.closed().then(() => {
    connection.status = 'closed'
  })
  const js = jetstream(nc, { timeout: 10_000 })
  const jsm = await jetstreamManager(nc, { timeout: 10_000 })
  const subs = subjects(config.subjectPrefix, config.partitions)
  await ensureStream(jsm, config.stream, subs.readings)
  const leases = await new Kvm(js).create(`${config.stream}_leases`, {
    ttl: config.leaseTtlMs,
    history: 1,
  })
  log.info(
    { servers: config.servers, stream: config.stream, partitions: config.partitions },
    'NATS JetStream ready',
  )
  return {
    config,
    nc,
    js,
    jsm,
    leases,
    subjects: subs,
    consumerName: (p) => `p${p}`,
    connection,
    async close() {
      if (!nc.isClosed()) await nc.drain()
    },
  }
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string): Promise<void> {
  const config = {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_age: nanos(MAX_AGE_MS),
    // Nats-Msg-Id (VIN and timestamp): a unit's resend within this window is dropped by the server.
    duplicate_window: nanos(120_000),
  }
  try {
    await jsm.streams.info(name)
  } catch {
    await jsm.streams.add(config).catch(async (err) => {
      // Another process made it first.
      if (await jsm.streams.info(name).catch(() => undefined)) return
      throw new Error(
        `cannot create the stream ${name} for ${subject} (another stream with other NATS_STREAM may hold these subjects: give each deployment its own NATS_SUBJECT_PREFIX): ${err}`,
      )
    })
  }
}

/**
 * The partition's consumer made afresh: it hands out, in stream order, every reading of the
 * partition still on the stream, which in a work queue is exactly what no worker acknowledged.
 * Readings its last owner had in flight come first, at once, instead of after an ack timeout.
 */
export async function freshConsumer(link: NatsLink, partition: number): Promise<void> {
  const name = link.consumerName(partition)
  await link.jsm.consumers.delete(link.config.stream, name).catch(() => false)
  await link.jsm.consumers.add(link.config.stream, {
    durable_name: name,
    filter_subject: link.subjects.partition(partition),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    // An acknowledgement lost on the way (a broker restart) costs this long a wait, once.
    ack_wait: nanos(Math.max(5000, 2 * link.config.leaseTtlMs)),
    max_ack_pending: MAX_ACK_PENDING,
    max_deliver: -1,
  })
}
