import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = resolve(import.meta.dirname, '../src')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

/**
 * The layers of src/, lowest first: a module may import its own layer and lower ranks, never a
 * higher rank nor a sibling of the same rank (auth and simulation, say, know nothing of each
 * other). A file belongs to the longest entry that prefixes its path.
 */
const LAYERS: ReadonlyArray<readonly [string, number]> = [
  // Below everything: a type-only module (the Config shape) that config.ts, its sibling, re-exports.
  ['config-types.ts', -1],
  ['lib', 0],
  ['domain.ts', 0],
  ['errors.ts', 0],
  ['config.ts', 0],
  ['db', 1],
  ['schemas', 2],
  ['auth', 3],
  ['simulation', 3],
  ['ingest', 4],
  ['services', 5],
  ['cluster', 5],
  ['agents/detection', 6],
  ['agents/ueba', 6],
  ['agents/workers', 7],
  ['agents/chat', 8],
  ['agents/graph', 8],
  ['agents/master.ts', 9],
  ['agents/episodes', 10],
  ['agents/create-agents.ts', 11],
  ['api', 12],
  ['composition-root.ts', 12],
  ['demo.ts', 12],
  ['app.ts', 13],
  ['server.ts', 14],
]

function layerOf(file: string): readonly [string, number] | undefined {
  const path = relative(SRC, file)
  return LAYERS.filter(([prefix]) => path === prefix || path.startsWith(`${prefix}/`)).sort(
    (a, b) => b[0].length - a[0].length,
  )[0]
}

/** Packages that belong to transport (HTTP, WebSocket): the vocabulary, schemas and storage stay free of them. */
const TRANSPORT = /^(fastify|fastify-.*|@fastify\/.*|ws|mqtt|aedes|@nats-io\/.*)$/

function packages(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+'([^.'][^']*)'/g)].map((m) => m[1]!)
}

/** Relative imports of a module, type-only ones included (they still couple the modules). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [
    ...text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\s*\(?\s*'(\.[^']+)'/g),
  ].map((m) => (m[1] ?? m[2])!)
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')))
}

describe('architecture', () => {
  const graph = new Map(files(SRC).map((f) => [f, imports(f)]))

  it('has no circular imports in src/', () => {
    expect(graph.size).toBeGreaterThan(30)
    const cycles: string[] = []
    const state = new Map<string, 'visiting' | 'done'>()
    const stack: string[] = []
    const visit = (file: string) => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'visiting') {
        cycles.push(
          stack
            .slice(stack.indexOf(file))
            .concat(file)
            .map((f) => relative(SRC, f))
            .join(' -> '),
        )
        return
      }
      state.set(file, 'visiting')
      stack.push(file)
      for (const dep of graph.get(file) ?? []) visit(dep)
      stack.pop()
      state.set(file, 'done')
    }
    for (const file of graph.keys()) visit(file)
    expect(cycles).toEqual([])
  })

  it('reads process.env only where configuration is loaded', () => {
    const readers = [...graph.keys()]
      .filter((f) => /process\.env/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f))
      .sort()
    expect(readers).toEqual(['db/migrate-cli.ts', 'server.ts'])
  })

  it('puts every module of src/ in a layer', () => {
    const unplaced = [...graph.keys()].filter((f) => !layerOf(f)).map((f) => relative(SRC, f))
    expect(unplaced).toEqual([])
  })

  it('imports only downward: lower layers never know higher ones, siblings never know each other', () => {
    const violations: string[] = []
    for (const [file, deps] of graph) {
      const from = layerOf(file)
      if (!from) continue
      for (const dep of deps) {
        const to = layerOf(dep)
        if (!to || to[0] === from[0] || to[1] < from[1]) continue
        violations.push(`${relative(SRC, file)} -> ${relative(SRC, dep)}`)
      }
    }
    expect(violations).toEqual([])
  })

  it('keeps transport out of the vocabulary, the schemas and the database layer', () => {
    const leaks = [...graph.keys()]
      .filter((f) => ['lib', 'domain.ts', 'errors.ts', 'db', 'schemas'].includes(layerOf(f)?.[0] ?? ''))
      .flatMap((f) =>
        packages(f)
          .filter((p) => TRANSPORT.test(p))
          .map((p) => `${relative(SRC, f)} -> ${p}`),
      )
    expect(leaks).toEqual([])
  })

  it('keeps src/ files under 300 lines', () => {
    const long = [...graph.keys()]
      .map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > 300)
    expect(long).toEqual([])
  })

  it('lets the dashboard take only types from the server, or modules that import nothing at run time', () => {
    const WEB = resolve(import.meta.dirname, '../web/src')
    const webFiles = readdirSync(WEB, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.tsx?$/.test(f))
      .map((f) => join(WEB, f))
    const bundled: string[] = []
    for (const file of webFiles) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'/gm)) {
        const target = resolve(dirname(file), m[2]!.replace(/\.js$/, '.ts'))
        if (m[1] || !target.startsWith(`${SRC}/`)) continue
        const runtime = [...readFileSync(target, 'utf8').matchAll(/^import\s+(?!type\s)/gm)]
        if (runtime.length > 0) bundled.push(`${relative(WEB, file)} -> ${relative(SRC, target)}`)
      }
    }
    expect(webFiles.length).toBeGreaterThan(10)
    expect(bundled).toEqual([])
  })
})
