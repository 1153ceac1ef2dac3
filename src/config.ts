import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import type { Config, DatabaseTarget, NatsConfig } from './config-types.js'

/** The example secret from `.env.example`; accepted in development, refused in production. */
export const EXAMPLE_JWT_SECRET = 'change-me-to-a-long-random-string-of-at-least-32-bytes'

/** A NATS stream, subject token, MQTT share group: safe in any of them. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/
const NAME_MESSAGE = 'letters, digits, - and _ only'
const NATS_URLS = /^(nats|tls):\/\/[^\s,]+(\s*,\s*(nats|tls):\/\/[^\s,]+)*$/
const list = (s: string) => s.split(',').flatMap((o) => (o.trim() ? [o.trim()] : []))

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

/** `24h`, `30m`, `3600s`, `7d` or a bare number of seconds -> seconds. */
function parseDuration(value: string, ctx: z.RefinementCtx): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim())
  if (!match) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 3600, 30m, 24h or 7d' })
    return z.NEVER
  }
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|memory:\/\/|file:\/\/|\.{0,2}\/)/, {
      message: 'expected postgres://..., memory://, or a file path for embedded PGlite',
    })
    .optional(),
  JWT_SECRET_KEY: z.string().min(1).optional(),
  JWT_ALGORITHM: z.enum(['HS256', 'HS384', 'HS512']).default('HS256'),
  JWT_EXPIRES_IN: z.string().default('24h').transform(parseDuration),
  DATASET_PATH: z.string().min(1).default('data/fleet_15min.csv'),
  DATASET_VIN: z.string().length(17).optional(),
  STREAM_DELAY_SECONDS: z.coerce.number().min(0).max(3600).default(2),
  STREAM_ENABLED: bool.default(true),
  STREAM_CLOCK: z.enum(['live', 'recorded']).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  CORS_ORIGINS: z.string().default('http://localhost:5173,http://localhost:8000').transform(list),
  SEED_DEMO: bool.optional(),
  DEVICE_RATE_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(50),
  DEVICE_RATE_BURST: z.coerce.number().int().min(1).max(10_000_000).default(1000),
  RULES_PATH: z.string().min(1).optional(),
  TELEMETRY_RETENTION_DAYS: z.coerce.number().int().positive().max(36500).optional(),
  DATA_QUALITY_STALE_MINUTES: z.coerce.number().positive().max(525_600).default(60),
  DATA_QUALITY_STUCK_READINGS: z.coerce.number().int().min(2).max(100_000).default(16),
  DATA_QUALITY_IMPLAUSIBLE_SHARE: z.coerce.number().gt(0).max(1).default(0.25),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  MQTT_ENABLED: bool.default(true),
  MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(1883),
  MQTT_HOST: z.string().min(1).optional(),
  MQTT_URL: z
    .string()
    .regex(/^mqtts?:\/\/[^\s]+$/, { message: 'expected mqtt://host:port or mqtts://host:port' })
    .optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  METRICS_HOST: z.string().min(1).optional(),
  AUDIT_SPOOL_DIR: z.string().min(1).optional(),
  AUDIT_SPOOL_MAX_ROWS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  AUDIT_CHAIN_KEY: z.string().min(16).optional(),
  /** Behaviour analytics: the risk score's half-life, and whether responses refuse anyone. */
  UEBA_HALF_LIFE_HOURS: z.coerce.number().positive().max(8760).default(24),
  UEBA_ENFORCE: bool.default(true),
  UEBA_STEP_UP_DELAY_MS: z.coerce.number().int().min(0).max(30_000).default(1000),
  MQTT_SHARE_GROUP: z.string().regex(NAME, { message: NAME_MESSAGE }).default('autonoma'),
  AUTH_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(10_000).default(5),
  AUTH_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(20),
  AUTH_FAILURE_WINDOW: z.string().default('15m').transform(parseDuration),
  AUTH_LOCKOUT_MAX: z.string().default('15m').transform(parseDuration),
  SESSION_CHECK_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(67_108_864).default(262_144),
  BOOKING_MAX_OPEN_PER_VEHICLE: z.coerce.number().int().min(1).max(1000).default(3),
  BOOKING_HORIZON_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  FORECAST_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  AUTONOMA_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  NATS_URL: z.string().regex(NATS_URLS, { message: 'expected nats://host:port[,...]' }).optional(),
  NATS_STREAM: z.string().regex(NAME, { message: NAME_MESSAGE }).default('TELEMETRY'),
  NATS_SUBJECT_PREFIX: z.string().regex(NAME, { message: NAME_MESSAGE }).optional(),
  NATS_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  NATS_LEASE_TTL_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
})

function natsConfig(url: string, e: z.infer<typeof EnvSchema>): NatsConfig {
  const { NATS_STREAM: stream, NATS_SUBJECT_PREFIX: subjectPrefix, NATS_PARTITIONS: partitions } = e
  return { servers: list(url), stream, subjectPrefix, partitions, leaseTtlMs: e.NATS_LEASE_TTL_MS }
}

/** Checked on the raw environment so it is reported even when other variables are also bad. */
function productionSecretProblem(env: Record<string, string>): string | undefined {
  if (env.NODE_ENV !== 'production') return undefined
  const secret = env.JWT_SECRET_KEY
  if (secret && Buffer.byteLength(secret) >= 32 && secret !== EXAMPLE_JWT_SECRET) {
    return undefined
  }
  return 'JWT_SECRET_KEY: production needs a real secret: at least 32 bytes and not the example value'
}

export type { Config, DatabaseTarget, NatsConfig } from './config-types.js'

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

function databaseTarget(url: string | undefined): DatabaseTarget {
  if (!url) return { kind: 'pglite', dataDir: './.data/pglite' }
  if (url === 'memory://') return { kind: 'pglite', dataDir: null }
  if (url.startsWith('file://')) return { kind: 'pglite', dataDir: url.slice('file://'.length) }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url }
  return { kind: 'pglite', dataDir: url }
}

/**
 * Beside the data: next to the PGlite directory. A server's clients have no data directory of
 * their own (and several processes may share one database), so they spool in memory unless told
 * where (one directory per process).
 */
function auditSpoolDir(explicit: string | undefined, database: DatabaseTarget): string | null {
  if (explicit) return explicit
  if (database.kind === 'postgres') return null
  return database.dataDir ? join(dirname(database.dataDir), 'audit-spool') : null
}

/**
 * Parses the environment once, at boot. Every bad variable is reported in one error, so an
 * operator fixes them all in one go instead of one restart per typo.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings (from `FOO=` in a .env) mean "unset", as most tools treat them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = EnvSchema.safeParse(cleaned)
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`)
  const secretProblem = productionSecretProblem(cleaned as Record<string, string>)
  if (secretProblem) problems.push(secretProblem)
  if (parsed.success && parsed.data.AUTONOMA_ROLE !== 'all' && !parsed.data.NATS_URL)
    problems.push(`AUTONOMA_ROLE: ${parsed.data.AUTONOMA_ROLE} needs NATS_URL (the processes meet there)`)
  if (parsed.success && parsed.data.STREAM_CLOCK === 'live' && parsed.data.STREAM_DELAY_SECONDS === 0)
    problems.push('STREAM_CLOCK: live needs STREAM_DELAY_SECONDS > 0 (it stamps one step per delay)')
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems)
  const e = parsed.data
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    database: databaseTarget(e.DATABASE_URL),
    jwt: {
      // A key in the source would let anyone mint tokens for an install that forgot to set one.
      secret: e.JWT_SECRET_KEY ?? randomBytes(32).toString('base64url'),
      generatedSecret: e.JWT_SECRET_KEY === undefined,
      algorithm: e.JWT_ALGORITHM,
      expiresInSeconds: e.JWT_EXPIRES_IN,
      issuer: 'autonoma',
      audience: 'autonoma-api',
    },
    auth: {
      maxFailuresPerAccount: e.AUTH_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerAddress: e.AUTH_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: e.AUTH_FAILURE_WINDOW,
      maxLockoutSeconds: e.AUTH_LOCKOUT_MAX,
      sessionCacheMs: e.SESSION_CHECK_CACHE_MS,
    },
    http: {
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
    },
    booking: {
      maxOpenPerVehicle: e.BOOKING_MAX_OPEN_PER_VEHICLE,
      horizonDays: e.BOOKING_HORIZON_DAYS,
      forecastCacheMs: e.FORECAST_CACHE_SECONDS * 1000,
    },
    dataset: { path: e.DATASET_PATH, vin: e.DATASET_VIN },
    stream: {
      delaySeconds: e.STREAM_DELAY_SECONDS,
      enabled: e.STREAM_ENABLED && !e.NATS_URL,
      // As fast as possible has no pace to stamp by: such a replay keeps the file's own times.
      clock: e.STREAM_CLOCK ?? (e.STREAM_DELAY_SECONDS > 0 ? 'live' : 'recorded'),
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    corsOrigins: e.CORS_ORIGINS,
    seedDemo: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    deviceRate: { perSecond: e.DEVICE_RATE_PER_SECOND, burst: e.DEVICE_RATE_BURST },
    rulesPath: e.RULES_PATH,
    telemetry: { retentionDays: e.TELEMETRY_RETENTION_DAYS },
    dataQuality: {
      staleMs: e.DATA_QUALITY_STALE_MINUTES * 60_000,
      stuckReadings: e.DATA_QUALITY_STUCK_READINGS,
      implausibleShare: e.DATA_QUALITY_IMPLAUSIBLE_SHARE,
    },
    openai: e.OPENAI_API_KEY
      ? { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL }
      : undefined,
    audit: {
      spoolDir: auditSpoolDir(e.AUDIT_SPOOL_DIR, databaseTarget(e.DATABASE_URL)),
      spoolMaxRows: e.AUDIT_SPOOL_MAX_ROWS,
      chainKey: e.AUDIT_CHAIN_KEY,
    },
    ueba: {
      halfLifeMs: e.UEBA_HALF_LIFE_HOURS * 3_600_000,
      enforce: e.UEBA_ENFORCE,
      stepUpDelayMs: e.UEBA_STEP_UP_DELAY_MS,
    },
    role: e.AUTONOMA_ROLE,
    nats: e.NATS_URL ? natsConfig(e.NATS_URL, e) : undefined,
    // A worker takes no devices: they connect to API processes.
    mqtt:
      e.MQTT_ENABLED && e.AUTONOMA_ROLE !== 'worker'
        ? { port: e.MQTT_PORT, host: e.MQTT_HOST ?? e.HOST, url: e.MQTT_URL, shareGroup: e.MQTT_SHARE_GROUP }
        : undefined,
    metrics: e.METRICS_PORT > 0 ? { port: e.METRICS_PORT, host: e.METRICS_HOST ?? e.HOST } : undefined,
  }
}
