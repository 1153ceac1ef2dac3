import { writeSnapshot } from './pglite-snapshot.js'

/**
 * `node dist/db/snapshot-cli.js <path>`: writes the PGlite snapshot (`<path>.tar`, `<path>.json`)
 * that new embedded databases start from. `scripts/ensure-build.mjs` runs it when it is missing,
 * from another PGlite release, or older than the migrations.
 */
const path = process.argv[2]
if (!path) {
  process.stderr.write('usage: snapshot-cli <path without extension>\n')
  process.exit(2)
}
const started = Date.now()
const manifest = await writeSnapshot(path)
process.stdout.write(
  `PGlite snapshot written: ${path}.tar (${Math.round(manifest.bytes / 1e6)} MB, PGlite ${manifest.pglite}, ` +
    `${manifest.migrations.length} migrations, ${Date.now() - started} ms)\n`,
)
