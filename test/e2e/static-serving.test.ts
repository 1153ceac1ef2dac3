import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import webRoutes from '../../src/api/web.js'

// How the API serves the built dashboards (src/api/web.ts), over a fake build in a temp directory.
const dirs: string[] = []
function fakeBuild(): string {
  const root = mkdtempSync(join(tmpdir(), 'autonoma-web-'))
  dirs.push(root)
  mkdirSync(join(root, 'assets'))
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="app"></div>')
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)')
  return root
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('web routes', () => {
  it('answers the app routes with index.html, never cached', async () => {
    const app = Fastify()
    await app.register(webRoutes, { root: fakeBuild() })
    for (const url of [
      '/',
      '/login',
      '/dashboard/customer',
      '/dashboard/service/vehicle/5ATVSA1E9SA250101',
    ]) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type']).toContain('text/html')
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.body).toContain('id="app"')
    }
    expect((await app.inject({ url: '/nope' })).statusCode).toBe(404)
    await app.close()
  })

  it('serves hashed assets cacheable for a year', async () => {
    const app = Fastify()
    await app.register(webRoutes, { root: fakeBuild() })
    const res = await app.inject({ url: '/assets/index-abc123.js' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect((await app.inject({ url: '/assets/missing.js' })).statusCode).toBe(404)
    await app.close()
  })

  it('without a build, says how to make one at / and registers nothing else', async () => {
    const app = Fastify()
    await app.register(webRoutes, { root: join(tmpdir(), 'autonoma-no-such-build') })
    const res = await app.inject({ url: '/' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('npm run build:web')
    expect((await app.inject({ url: '/dashboard/customer' })).statusCode).toBe(404)
    expect((await app.inject({ url: '/assets/index.js' })).statusCode).toBe(404)
    await app.close()
  })
})
