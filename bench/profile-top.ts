/**
 * Prints the functions with the most self time in a V8 CPU profile, e.g. after
 * `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/pipeline.ts --only=postgres:generated`:
 * `npx tsx bench/profile-top.ts /tmp/prof/CPU.*.cpuprofile [count]`.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const args = process.argv.slice(2)
const byPackage = args.includes('--by-package')
const [file, countArg] = args.filter((a) => !a.startsWith('--'))
if (!file) {
  console.error('usage: tsx bench/profile-top.ts <file.cpuprofile> [count]')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const node = byId.get(id)
  const dt = profile.timeDeltas[i] ?? 0
  total += dt
  if (!node) return
  const { functionName, url, lineNumber } = node.callFrame
  const where = url ? `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}` : ''
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? /\/(src\/[^/]+|bench)\//.exec(url)?.[1]
  const key = byPackage
    ? (pkg ?? (url.startsWith('node:') ? 'node internals' : functionName || '(native)'))
    : `${functionName || '(anonymous)'} ${where}`
  self.set(key, (self.get(key) ?? 0) + dt)
})
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 30))
console.log(`total ${(total / 1000).toFixed(0)} ms`)
for (const [key, us] of top)
  console.log(
    `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
  )
