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

/** Relative imports of a module, type-only ones included (they still couple the modules). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => m[1]!)
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
})
