import 'dotenv/config'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import pino from 'pino'
import { buildApp } from './app.js'
import { Cluster } from './cluster/cluster.js'
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/client.js'
import { migrateToLatest } from './db/migrate.js'
import { type DemoSeedReport, seedDemoData } from './demo.js'
import { openSockets } from './lib/open-sockets.js'
import { StopSteps } from './lib/stop-steps.js'

/** Where the demo vehicles' device tokens go (gitignored, like the embedded database). */
const DEVICE_TOKENS_FILE = '.data/device-tokens.json'

/** What a new embedded database starts from instead of initdb; `scripts/ensure-build.mjs` writes it. */
const PGLITE_SNAPSHOT = '.data/cache/pglite-snapshot'

/**
 * Keeps the device tokens the seed just issued, merged by VIN into what the file held: they are
 * shown nowhere else (the database has only hashes). Owner-only permissions: they are secrets.
 */
async function saveDeviceTokens(tokens: DemoSeedReport['deviceTokens']): Promise<void> {
  let saved: Record<string, string> = {}
  try {
    saved = JSON.parse(await readFile(DEVICE_TOKENS_FILE, 'utf8'))
  } catch {
    // No file yet, or an unreadable one: start afresh.
  }
  for (const t of tokens) saved[t.vin] = t.device_token
  await mkdir(dirname(DEVICE_TOKENS_FILE), { recursive: true })
  await writeFile(DEVICE_TOKENS_FILE, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 })
}

/**
 * The only place that listens. Order: config -> database -> migrations -> seed -> app -> listen;
 * on SIGINT/SIGTERM, stop intake and taking requests, then close the app (and what it owns), then the
 * database, within SHUTDOWN_TIMEOUT_MS or exit 1.
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw err
  }

  const started = Date.now()
  // Its own logger: the database is open before the app (and the app's logger) exists.
  const dbLog = pino({ level: config.logLevel }).child({ component: 'db' })
  const db = await openDatabase(config.database, { logger: dbLog, pgliteSnapshot: PGLITE_SNAPSHOT })
  const migrations = await migrateToLatest(db.db)
  const seeded = config.seedDemo ? await seedDemoData(db.db) : undefined
  if (seeded && seeded.deviceTokens.length > 0) await saveDeviceTokens(seeded.deviceTokens)
  // A cluster's processes meet on NATS (it may still be starting: the connection waits for it).
  const cluster = config.nats
    ? await Cluster.open(
        config.nats,
        config.role,
        pino({ level: config.logLevel }).child({ role: config.role }),
      )
    : undefined
  const app = await buildApp({ config, db, cluster })
  if (config.jwt.generatedSecret) {
    app.log.warn(
      'JWT_SECRET_KEY is not set: signing tokens with a random key made for this run; every token is void after a restart (production requires the variable)',
    )
  }
  const seed = seeded && { ...seeded, deviceTokens: seeded.deviceTokens.length }
  app.log.info(
    { db: db.kind, migrations: migrations.applied, seed, startup_ms: Date.now() - started },
    'database ready',
  )
  if (cluster) app.log.info({ role: config.role, node: cluster.id }, 'cluster member')
  if (seeded && seeded.deviceTokens.length > 0) {
    app.log.info(
      { file: DEVICE_TOKENS_FILE, vehicles: seeded.deviceTokens.length },
      'device tokens of the demo vehicles written (VIN -> token); send one as Authorization: Bearer to POST /api/v1/telemetry',
    )
  }

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    const stopAt = Date.now()
    const timeoutMs = config.shutdownTimeoutMs
    app.log.info({ signal, timeout_ms: timeoutMs }, 'shutting down')
    const steps = new StopSteps()
    // Not unref'd: it must fire even when a hung close leaves nothing else keeping the loop alive.
    setTimeout(() => {
      const services = app.services.stopSteps
      app.log.error(
        {
          timeout_ms: timeoutMs,
          step: steps.current,
          services_step: services.current,
          services_done: services.done,
          writer: app.services.writer.stats,
          // What still keeps the loop busy (sockets, timers), by kind: the hang's suspects.
          active: countBy(process.getActiveResourcesInfo()),
          sockets: openSockets(),
          ports: { http: config.port, mqtt: config.mqtt?.port },
        },
        'shutdown timed out',
      )
      process.exit(1)
    }, timeoutMs)
    try {
      // Intake first (the replay stops now), then the HTTP server stops accepting and the app
      // drains: agent runs, the hub, the writer's last batches. Then the database.
      app.services.stopIntake()
      await steps.run('app', () => app.close())
      const writer = app.services.writer.stats
      // After the app: its last commits' acknowledgements and the lease hand-over go out first.
      await steps.run('cluster', () => cluster?.close())
      await steps.run('database', () => db.close())
      // `written` is every reading stored in this run; a reading still pending here is lost.
      app.log.info({ writer, stop_ms: Date.now() - stopAt }, 'stopped')
      process.exit(writer.pending > 0 ? 1 : 0)
    } catch (err) {
      app.log.error({ err }, 'error during shutdown')
      process.exit(1)
    }
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))

  await app.listen({ port: config.port, host: config.host })
  // Device intake over MQTT; a port in use leaves the service up with MQTT reported unavailable.
  await app.services.mqtt?.start()
  app.log.info({ startup_ms: Date.now() - started, docs: '/docs' }, 'Autonoma is up')
}

function countBy(kinds: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of kinds) out[k] = (out[k] ?? 0) + 1
  return out
}

main().catch((err) => {
  process.stderr.write(
    `Autonoma failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  )
  process.exit(1)
})
