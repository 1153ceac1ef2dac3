import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import type { HubOptions } from '../../src/ingest/ws-hub.js'
import type { FleetVehicle } from '../../src/simulation/fleet.js'
import { type BenchDatabase, createBenchDatabase, type DbKind, seedFleet } from './db.js'

export const BENCH_JWT_SECRET = 'autonoma-benchmark-secret-long-enough-for-hs256'

export interface BenchApp {
  app: FastifyInstance
  database: BenchDatabase
  /** `http://127.0.0.1:<port>` when listening. */
  base: string
  /** Closes the app and the database; `keepDatabase` leaves its data in place for a server process. */
  close(options?: { keepDatabase?: boolean }): Promise<void>
}

/**
 * The whole app (pipeline, episode manager, agent graph, WebSocket hub) over a fresh seeded
 * database, as `server.ts` builds it, with the replay off: the benchmark feeds the pipeline itself.
 */
export async function startBenchApp(options: {
  kind: DbKind
  extraVehicles?: readonly FleetVehicle[]
  listen?: boolean
  hub?: HubOptions
  /** PGlite in this directory instead of in memory. */
  dataDir?: string
}): Promise<BenchApp> {
  const database = await createBenchDatabase(options.kind, options.dataDir)
  try {
    await seedFleet(database.handle, options.extraVehicles)
    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      DATABASE_URL: database.url,
      STREAM_ENABLED: 'false',
      JWT_SECRET_KEY: BENCH_JWT_SECRET,
    })
    const app = await buildApp({ config, db: database.handle, hub: options.hub })
    await app.ready()
    let base = ''
    if (options.listen) {
      await app.listen({ port: 0, host: '127.0.0.1' })
      const address = app.server.address()
      if (!address || typeof address === 'string') throw new Error('no port')
      base = `http://127.0.0.1:${address.port}`
    }
    return {
      app,
      database,
      base,
      async close({ keepDatabase = false } = {}) {
        await app.close()
        if (keepDatabase) await database.handle.close()
        else await database.close()
      },
    }
  } catch (err) {
    await database.close()
    throw err
  }
}

export async function loginToken(app: FastifyInstance, email: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`)
  return res.json().access_token as string
}
