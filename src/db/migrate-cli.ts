import 'dotenv/config'
import { loadConfig } from '../config.js'
import { openDatabase } from './client.js'
import { migrateToLatest } from './migrate.js'

/** `npm run db:migrate`: apply pending migrations and exit. */
const config = loadConfig(process.env)
const db = await openDatabase(config.database)
try {
  const { applied } = await migrateToLatest(db.db)
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
} finally {
  await db.close()
}
