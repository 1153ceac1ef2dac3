// `npm start` runs this first: it compiles src/ to dist/ only when dist/ is missing or older
// than a source file, and copies the SQL migrations beside the compiled code. It does the same for
// the dashboards: web/ is built into web/dist/ when that is missing or older than a file in web/.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs'
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
