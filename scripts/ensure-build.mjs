// `npm start` runs this first: it compiles src/ to dist/ only when dist/ is missing or older
// than a source file, and copies the SQL migrations beside the compiled code. It does the same for
// the dashboards: web/ is built into web/dist/ when that is missing or older than a file in web/.
// And the PGlite snapshot new embedded databases start from (src/db/pglite-snapshot.ts), when it
// is missing, from another PGlite release or older than the migrations.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

function newestMtime(dir, skip = new Set()) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (skip.has(path)) continue
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path, skip) : statSync(path).mtimeMs)
  }
  return newest
}

const stamp = 'dist/server.js'
const stale =
  !existsSync(stamp) ||
  newestMtime('src') > statSync(stamp).mtimeMs ||
  statSync('package.json').mtimeMs > statSync(stamp).mtimeMs
if (stale) {
  process.stdout.write('building server (tsc)...\n')
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  })
  cpSync('src/db/migrations', 'dist/db/migrations', { recursive: true })
}

// The path src/server.ts reads (PGLITE_SNAPSHOT); `.tar` and `.json` beside each other.
const snapshot = '.data/cache/pglite-snapshot'
function snapshotStale() {
  try {
    const manifest = JSON.parse(readFileSync(`${snapshot}.json`, 'utf8'))
    const pglite = JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8'))
    const migrations = readdirSync('src/db/migrations')
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((f) => f.replace(/\.sql$/, ''))
    return (
      manifest.pglite !== pglite.version ||
      JSON.stringify(manifest.migrations) !== JSON.stringify(migrations) ||
      statSync(`${snapshot}.tar`).size !== manifest.bytes
    )
  } catch {
    return true
  }
}
// Alongside the dashboards' build (it is mostly initdb, one core). A failure is only a warning:
// the server then runs initdb itself, as it did before snapshots.
const snapshotDone = snapshotStale()
  ? new Promise((resolve) => {
      process.stdout.write('writing the PGlite snapshot (initdb + migrations)...\n')
      const child = spawn(process.execPath, ['dist/db/snapshot-cli.js', snapshot], { stdio: 'inherit' })
      child.on('error', (err) => resolve(String(err)))
      child.on('exit', (code) => resolve(code === 0 ? undefined : `exit code ${code}`))
    })
  : Promise.resolve(undefined)

// web/dist/index.html is rewritten by every build, so its time says when the last one ran.
const webStamp = 'web/dist/index.html'
const webSkip = new Set(['web/dist', 'web/node_modules'])
const webStale =
  existsSync('web/index.html') &&
  (!existsSync(webStamp) ||
    newestMtime('web', webSkip) > statSync(webStamp).mtimeMs ||
    statSync('package.json').mtimeMs > statSync(webStamp).mtimeMs)
if (webStale) {
  process.stdout.write('building dashboards (vite)...\n')
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    {
      stdio: 'inherit',
    },
  )
}

const snapshotFailure = await snapshotDone
if (snapshotFailure) {
  process.stderr.write(`PGlite snapshot not written (${snapshotFailure}): new databases run initdb\n`)
}
