import { describe, expect, it } from 'vitest'
import { ConfigError, EXAMPLE_JWT_SECRET, loadConfig } from '../src/config.js'

describe('loadConfig', () => {
  it('gives working defaults for development', () => {
    const c = loadConfig({})
    expect(c.port).toBe(8000)
    expect(c.host).toBe('0.0.0.0')
    expect(c.database).toEqual({ kind: 'pglite', dataDir: './.data/pglite' })
    expect(c.jwt.algorithm).toBe('HS256')
    expect(c.jwt.expiresInSeconds).toBe(24 * 3600)
    expect(c.stream.delaySeconds).toBe(2)
    expect(c.seedDemo).toBe(true)
  })

  it('stamps a paced replay with the wall clock, and keeps the file times when it runs flat out', () => {
    expect(loadConfig({}).stream.clock).toBe('live')
    expect(loadConfig({ STREAM_DELAY_SECONDS: '0' }).stream.clock).toBe('recorded')
    expect(loadConfig({ STREAM_CLOCK: 'recorded' }).stream.clock).toBe('recorded')
    expect(() => loadConfig({ STREAM_CLOCK: 'live', STREAM_DELAY_SECONDS: '0' })).toThrow(
      /STREAM_CLOCK: live needs STREAM_DELAY_SECONDS > 0/,
    )
    expect(() => loadConfig({ STREAM_CLOCK: 'wall' })).toThrow(/STREAM_CLOCK/)
  })

  it('chooses the database driver from DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'memory://' }).database).toEqual({ kind: 'pglite', dataDir: null })
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h:5432/d' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h:5432/d',
    })
  })

  it('lists every bad variable in one error', () => {
    let error: unknown
    try {
      loadConfig({ NODE_ENV: 'production', PORT: 'eighty', JWT_SECRET_KEY: 'short' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as ConfigError).message
    expect(message).toContain('PORT')
    expect(message).toContain('JWT_SECRET_KEY')
    expect((error as ConfigError).problems).toHaveLength(2)
  })

  it('refuses to run in production with no secret or the example secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET_KEY/)
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET_KEY: EXAMPLE_JWT_SECRET })).toThrow(
      /JWT_SECRET_KEY/,
    )
    const ok = loadConfig({ NODE_ENV: 'production', JWT_SECRET_KEY: 'x'.repeat(40) })
    expect(ok.seedDemo).toBe(false)
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET_KEY: 'x'.repeat(40), SEED_DEMO: 'true' }).seedDemo,
    ).toBe(true)
  })

  it('signs with a random key made at each start when development has no JWT_SECRET_KEY', () => {
    const first = loadConfig({})
    const second = loadConfig({})
    expect(first.jwt.generatedSecret).toBe(true)
    expect(Buffer.byteLength(first.jwt.secret)).toBeGreaterThanOrEqual(32)
    // A constant would let anyone who read the source mint tokens for such an install.
    expect(first.jwt.secret).not.toBe(second.jwt.secret)
    const set = loadConfig({ JWT_SECRET_KEY: 'y'.repeat(40) })
    expect(set.jwt).toMatchObject({ secret: 'y'.repeat(40), generatedSecret: false })
  })

  it('parses durations and lists', () => {
    const c = loadConfig({ JWT_EXPIRES_IN: '30m', CORS_ORIGINS: 'https://a.example, https://b.example' })
    expect(c.jwt.expiresInSeconds).toBe(1800)
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example'])
    expect(() => loadConfig({ JWT_EXPIRES_IN: 'soon' })).toThrow(/JWT_EXPIRES_IN/)
  })

  it('takes the graceful stop timeout in milliseconds, 10 s by default', () => {
    expect(loadConfig({}).shutdownTimeoutMs).toBe(10_000)
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '2500' }).shutdownTimeoutMs).toBe(2500)
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: 'soon' })).toThrow(/SHUTDOWN_TIMEOUT_MS/)
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '0' })).toThrow(/SHUTDOWN_TIMEOUT_MS/)
  })

  it('runs one process without NATS_URL, and refuses a cluster role without it', () => {
    const single = loadConfig({})
    expect(single.role).toBe('all')
    expect(single.nats).toBeUndefined()
    expect(() => loadConfig({ AUTONOMA_ROLE: 'worker' })).toThrow(/AUTONOMA_ROLE: worker needs NATS_URL/)
    expect(() => loadConfig({ AUTONOMA_ROLE: 'boss', NATS_URL: 'nats://h:4222' })).toThrow(/AUTONOMA_ROLE/)
    expect(() => loadConfig({ NATS_URL: 'http://h' })).toThrow(/NATS_URL/)
  })

  it('reads the cluster settings; a worker takes no devices and no process replays the file', () => {
    const c = loadConfig({
      AUTONOMA_ROLE: 'worker',
      NATS_URL: 'nats://a:4222, nats://b:4222',
      NATS_PARTITIONS: '32',
    })
    expect(c.nats).toEqual({
      servers: ['nats://a:4222', 'nats://b:4222'],
      stream: 'TELEMETRY',
      subjectPrefix: undefined,
      partitions: 32,
      leaseTtlMs: 10_000,
    })
    expect(c.mqtt).toBeUndefined()
    expect(c.stream.enabled).toBe(false)
    expect(loadConfig({ AUTONOMA_ROLE: 'api', NATS_URL: 'nats://a:4222' }).mqtt).toBeDefined()
    expect(() => loadConfig({ NATS_URL: 'nats://a:4222', NATS_PARTITIONS: '0' })).toThrow(/NATS_PARTITIONS/)
  })

  it('opens a metrics port only when METRICS_PORT names one', () => {
    expect(loadConfig({}).metrics).toBeUndefined()
    expect(loadConfig({ METRICS_PORT: '0' }).metrics).toBeUndefined()
    expect(loadConfig({ METRICS_PORT: '9464', HOST: '10.0.0.5' }).metrics).toEqual({
      port: 9464,
      host: '10.0.0.5',
    })
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '127.0.0.1' }).metrics?.host).toBe('127.0.0.1')
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/)
  })
})
