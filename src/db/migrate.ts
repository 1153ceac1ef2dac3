import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  sql,
} from 'kysely'

/** Where the `NNNN_name.sql` files live; the build copies them next to the compiled code. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))

const BREAKPOINT = /^\s*--> statement-breakpoint\s*$/m

/**
 * Plain SQL files, applied in name order, each in its own transaction, recorded by Kysely's
 * migrator in `kysely_migration` (and serialized by its lock table), so running twice is a no-op.
 */
class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.sql')).sort()
    const migrations: Record<string, Migration> = {}
    for (const file of files) {
      const text = await readFile(join(this.dir, file), 'utf8')
      const statements = text
        .split(BREAKPOINT)
        .map((s) => s.trim())
        .filter((s) => s.replace(/--.*$/gm, '').trim() !== '')
      migrations[file.replace(/\.sql$/, '')] = {
        async up(db: Kysely<unknown>) {
          for (const statement of statements) await sql.raw(statement).execute(db)
        },
      }
    }
    return migrations
  }
}

export interface MigrationReport {
  applied: string[]
}

/**
 * True when every migration in `dir`, and no other, is recorded: then the migrator would change
 * nothing, and its introspection of every table's columns (a large catalog query, hundreds of ms
 * on a cold PGlite) is skipped. Anything else (a table missing, one pending, an unknown one
 * recorded) is left to the migrator, which applies or reports it.
 */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
async function upToDate(db: Kysely<any>, dir: string): Promise<boolean> {
  const files = (await readdir(dir))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.replace(/\.sql$/, ''))
    .sort()
  const table = await sql<{ t: string | null }>`select to_regclass('kysely_migration')::text as t`.execute(db)
  if (!table.rows[0]?.t) return false
  const done = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)
  const names = done.rows.map((r) => r.name).sort()
  return names.length === files.length && names.every((n, i) => n === files[i])
}

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function migrateToLatest(db: Kysely<any>, dir = MIGRATIONS_DIR): Promise<MigrationReport> {
  if (await upToDate(db, dir)) return { applied: [] }
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(dir) })
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(
      `Migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    )
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) }
}
