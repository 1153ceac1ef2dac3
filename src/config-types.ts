/** The parsed configuration's shape; `config.ts` builds it from the environment. */
export type DatabaseTarget =
  | { kind: 'pglite'; dataDir: string | null /* null: in memory */ }
  | { kind: 'postgres'; url: string }

export interface Config {
  env: 'development' | 'production' | 'test'
  port: number
  host: string
  logLevel: string
  database: DatabaseTarget
  jwt: {
    secret: string
    algorithm: 'HS256' | 'HS384' | 'HS512'
    expiresInSeconds: number
    issuer: string
    audience: string
    /** True when no JWT_SECRET_KEY was set (development): a random key for this run only. */
    generatedSecret: boolean
  }
  /**
   * Failed sign-ins and device-token failures: how many per account (or VIN) and per client
   * address within `windowSeconds` before each further try waits twice as long as the last,
   * up to `maxLockoutSeconds`. Sessions: how long a token's user row is trusted unchecked.
   */
  auth: {
    maxFailuresPerAccount: number
    maxFailuresPerAddress: number
    windowSeconds: number
    maxLockoutSeconds: number
    sessionCacheMs: number
  }
  /** Node's HTTP limits: the whole request (headers and body) must arrive within `requestTimeoutMs`. */
  http: { requestTimeoutMs: number; idleTimeoutMs: number; bodyLimitBytes: number }
  /**
   * `forecastCacheMs`: how long the scheduling agent reuses the overloaded days it last computed
   * (the demand forecast is 7 queries; the forecast API always computes afresh).
   */
  booking: { maxOpenPerVehicle: number; horizonDays: number; forecastCacheMs: number }
  dataset: { path: string; vin: string | undefined }
  /**
   * `enabled` never with NATS_URL (one replay per process). `clock`: `live` stamps each step with
   * the wall clock as it is sent (the default with a delay), `recorded` keeps the file's times.
   */
  stream: { delaySeconds: number; enabled: boolean; clock: 'live' | 'recorded' }
  /** How long a graceful stop (SIGTERM/SIGINT) may take before the process exits non-zero. */
  shutdownTimeoutMs: number
  corsOrigins: string[]
  seedDemo: boolean
  /** Per-device token bucket of the HTTP telemetry intake: readings per second, and the burst. */
  deviceRate: { perSecond: number; burst: number }
  rulesPath: string | undefined
  /** Raw telemetry retention in days (whole day partitions are dropped); undefined keeps it forever. */
  telemetry: { retentionDays: number | undefined }
  /**
   * When a vehicle gets a data-quality alarm: no reading for `staleMs` (reading time) while
   * others report, a normally varying signal constant for `stuckReadings` readings, or at least
   * `implausibleShare` of its recent readings carrying a physically implausible value.
   */
  dataQuality: { staleMs: number; stuckReadings: number; implausibleShare: number }
  openai: { apiKey: string; baseUrl: string | undefined; model: string } | undefined
  /**
   * Device intake over MQTT: an embedded broker on `port` (the default), or, with `url`, a client
   * of that external broker. Absent when MQTT_ENABLED=false.
   */
  mqtt: { port: number; host: string; url: string | undefined; shareGroup: string } | undefined
  /**
   * The audit log: where rows wait during a database outage (a directory; null = memory only, for
   * in-memory databases), how many may wait, and the hash chain's optional HMAC key.
   */
  audit: { spoolDir: string | null; spoolMaxRows: number; chainKey: string | undefined }
  /** Behaviour analytics (agents/ueba/analytics.ts): decay, enforcement, a stepped-up user's delay. */
  ueba: { halfLifeMs: number; enforce: boolean; stepUpDelayMs: number }
  /** `all`: the single process; `api`: intake, REST and WebSockets; `worker`: consumes readings. */
  role: 'all' | 'api' | 'worker'
  /** Scale-out over NATS JetStream (see `src/cluster/`); absent: one process, in-process bus. */
  nats: NatsConfig | undefined
  /**
   * Prometheus metrics on a port of their own, unauthenticated (`GET /metrics`); absent when
   * METRICS_PORT is 0 or unset. Staff always have them at `/api/metrics`.
   */
  metrics: { port: number; host: string } | undefined
}

/**
 * `stream`: the JetStream stream of readings (its lease bucket is `<stream>_leases`);
 * `subjectPrefix`: put before `telemetry.<partition>.<vin>` and `events.<type>.<vin>`; a worker
 * that has not renewed its lease for `leaseTtlMs` loses its partitions to the others.
 */
export interface NatsConfig {
  servers: string[]
  stream: string
  subjectPrefix: string | undefined
  partitions: number
  leaseTtlMs: number
}
