import 'dotenv/config'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/client.js'
import { migrateToLatest } from './db/migrate.js'
import { seedDemoData } from './demo.js'

/**
 * The only place that listens. Order: config -> database -> migrations -> seed -> app -> listen;
 * on SIGINT/SIGTERM, stop taking requests, then close the app (and what it owns), then the database.
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
  const db = await openDatabase(config.database)
  const migrations = await migrateToLatest(db.db)
  const seed = config.seedDemo ? await seedDemoData(db.db) : undefined
  const app = await buildApp({ config, db })
  app.log.info(
    { db: db.kind, migrations: migrations.applied, seed, startup_ms: Date.now() - started },
    'database ready',
  )

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    try {
      await app.close()
      await db.close()
      process.exit(0)
    } catch (err) {
      app.log.error({ err }, 'error during shutdown')
      process.exit(1)
    }
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))

  await app.listen({ port: config.port, host: config.host })
  app.log.info({ startup_ms: Date.now() - started, docs: '/docs' }, 'Autonoma is up')
}

main().catch((err) => {
  process.stderr.write(
    `Autonoma failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  )
  process.exit(1)
})
