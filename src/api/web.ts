import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'

/** Built by `npm run build:web` (and by `npm start` when missing or stale). Same path from src/ and dist/. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url))

/** The hashed bundles; the access plugin registration lists this prefix as public. */
export const WEB_ASSETS_PREFIX = '/assets/'

/** Client-side routes of the single-page app: the server answers them all with index.html. */
const SPA_ROUTES = ['/', '/login', '/dashboard', '/dashboard/*']

export interface WebRoutesOptions {
  /** Directory of the built app; defaults to web/dist. */
  root?: string
}

function sendIndex(reply: FastifyReply, root: string) {
  // index.html names the current hashed bundles, so it must never be cached; the bundles always can be.
  reply.header('cache-control', 'no-cache')
  return reply.type('text/html; charset=utf-8').sendFile('index.html', root, { cacheControl: false })
}

/**
 * Serves the dashboards (web/) from the API's own port, so `npm start` is the whole product.
 * Without a build it registers only a page at `/` that says how to make one: the API works regardless.
 */
export default async function webRoutes(app: FastifyInstance, opts: WebRoutesOptions = {}): Promise<void> {
  const root = opts.root ?? WEB_DIST
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send(
          'Autonoma API is running, but the web app is not built.\n' +
            'Build it with `npm run build:web` (or start with `npm start`, which builds it), then reload.\n' +
            'API docs: /docs\n',
        ),
    )
    return
  }

  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: WEB_ASSETS_PREFIX,
    index: false,
    // Vite puts a content hash in every asset name: a changed file gets a new URL.
    immutable: true,
    maxAge: '365d',
  })

  for (const url of SPA_ROUTES) {
    app.get(url, { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      sendIndex(reply, root),
    )
  }
}
