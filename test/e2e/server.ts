import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { type Browser, chromium, type Page } from 'playwright-core'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { type DbHandle, openDatabase } from '../../src/db/client.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { seedDemoData } from '../../src/demo.js'

/** Debian's chromium: the suite never downloads a browser. (E2E_CHROMIUM only to try the missing case.) */
export const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium'
export const HAS_CHROMIUM = existsSync(CHROMIUM)
export const SCREENSHOTS = 'test-results'

export const DEMO = {
  customer: { email: 'user@demo.com', password: 'pass123', home: '/dashboard/customer' },
  service: { email: 'service@ey.com', password: 'ey_secure', home: '/dashboard/service' },
  manufacturer: { email: 'admin@oem.com', password: 'admin_pass', home: '/dashboard/manufacturing' },
} as const
export type DemoRole = keyof typeof DEMO

export interface E2eServer {
  app: FastifyInstance
  db: DbHandle
  /** `http://127.0.0.1:<port>` */
  url: string
  close(): Promise<void>
}

function newestMtime(dir: string, skip: Set<string>): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (skip.has(path)) continue
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path, skip) : statSync(path).mtimeMs)
  }
  return newest
}

/** The same rule as `npm start` (scripts/ensure-build.mjs): build web/ when web/dist is missing or stale. */
export function ensureWebBuild(): void {
  const stamp = 'web/dist/index.html'
  const stale =
    !existsSync(stamp) ||
    newestMtime('web', new Set(['web/dist', 'web/node_modules'])) > statSync(stamp).mtimeMs
  if (!stale) return
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'error'],
    { stdio: 'inherit' },
  )
}

/**
 * The real server, built as `src/server.ts` builds it (config -> database -> migrations -> seed -> app),
 * over an in-memory database, replaying the fleet fast, on a free port of the loopback interface.
 */
export async function startServer(env: Record<string, string> = {}): Promise<E2eServer> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'memory://',
    STREAM_DELAY_SECONDS: '0.05',
    LOG_LEVEL: 'silent',
    ...env,
  })
  const db = await openDatabase(config.database)
  await migrateToLatest(db.db)
  await seedDemoData(db.db)
  const app = await buildApp({ config, db, logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('the server has no TCP address')
  return {
    app,
    db,
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      await app.close()
      await db.close()
    },
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Signs in through the login form, as a person would, and waits for the role's dashboard. */
export async function signIn(page: Page, server: E2eServer, role: DemoRole): Promise<void> {
  const who = DEMO[role]
  await page.goto(`${server.url}/login`)
  await page.getByLabel('Email').fill(who.email)
  await page.getByLabel('Password').fill(who.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${server.url}${who.home}**`)
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `e2e-${name}.png`), fullPage: true })
}

/** A bearer token for a demo account, through the public login route. */
export async function apiToken(server: E2eServer, role: DemoRole): Promise<string> {
  const { email, password } = DEMO[role]
  const res = await server.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password },
  })
  return res.json().access_token
}

export async function apiGet<T>(server: E2eServer, url: string, token: string): Promise<T> {
  return (await server.app.inject({ url, headers: { authorization: `Bearer ${token}` } })).json()
}

/** Polls `check` until it holds or `ms` pass; says which. */
export async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 250))
  }
  return false
}

/**
 * LEAD: the one place the e2e suite makes a vehicle misbehave; adapt it if the anomaly path changes.
 * It pushes readings with an overheating battery (above the `battery_thermal` critical level) and
 * a shaking motor through the ingestion pipeline, exactly where the replay's readings enter, so the
 * data-analysis agent (a pipeline observer) must raise the alert, the diagnosis and the agent's chat.
 * Timestamps continue the vehicle's own clock by a second each, so they sort after its latest reading.
 */
export function injectAnomaly(
  server: E2eServer,
  vin: string,
  readings = 3,
  /**
   * `mild`: the battery just over its High level (45 °C, critical 55 °C), the motor as it was;
   * `hot`: the battery past its Critical level, nothing else (one episode, escalated, not a second);
   * `normal`: the latest reading again, a second later (a sign of life, no fault).
   */
  level: 'critical' | 'hot' | 'mild' | 'normal' = 'critical',
): void {
  const state = server.app.services.pipeline.vehicleState(vin)
  if (!state?.latest) throw new Error(`no live reading yet for ${vin}: wait for the stream first`)
  const base = state.latest
  for (let i = 1; i <= readings; i++) {
    const outcome = server.app.services.pipeline.ingest({
      ...base,
      timestamp: new Date(Date.parse(base.timestamp) + i * 1000).toISOString(),
      ...(level === 'normal'
        ? {}
        : level === 'mild' || level === 'hot'
          ? { battery_temperature: level === 'mild' ? 47 + i * 0.2 : 68 + i }
          : {
              battery_temperature: 68 + i,
              battery_voltage: Math.max(250, Number(base.battery_voltage) * 0.85),
              motor_vibration: 9.5,
            }),
    })
    if (outcome !== 'accepted') throw new Error(`injected reading for ${vin} was ${outcome}`)
  }
}

/**
 * Stops the replay (the rest of the app runs on), so that only injected readings reach the
 * vehicles: an injected episode stays open until the test resolves it, instead of recovering on
 * the replay's next normal reading half a second later. Reaches into the pipeline's source, which
 * the app does not expose: the one place the suite does so.
 */
export function pauseReplay(server: E2eServer): void {
  ;(server.app.services.pipeline as unknown as { source?: { stop(): void } }).source?.stop()
}
