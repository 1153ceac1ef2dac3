// `npm start` runs this first: it compiles src/ to dist/ only when dist/ is missing or older
// than a source file, and copies the SQL migrations beside the compiled code.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
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
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
  cpSync('src/db/migrations', 'dist/db/migrations', { recursive: true })
}
