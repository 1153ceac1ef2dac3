import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest'
import {
  DEMO,
  type DemoRole,
  type E2eServer,
  ensureWebBuild,
  forceBlockedTransition,
  HAS_CHROMIUM,
  injectAnomaly,
  launchBrowser,
  missingRoutes,
  NotWiredError,
  screenshot,
  signIn,
  startServer,
} from './server.js'

// The dashboards in Debian's chromium against the real server. Without chromium the suite is skipped
// on a developer's machine and fails in CI (CI=true), where .ci/run installs it.
const IN_CI = Boolean(process.env.CI)
if (!HAS_CHROMIUM && !IN_CI) {
  console.warn(
    'e2e: SKIPPED, /usr/bin/chromium is missing (apt-get install chromium to run the browser tests)',
  )
}

/** The demo customer's first vehicle (batch B-2025-01, the one with the thermal defect). */
const CUSTOMER_VIN = '5ATVSA1E9SA250101'
const SECOND_DEFECTIVE_VIN = '5ATURH1E0SA250102'

describe.runIf(!HAS_CHROMIUM && IN_CI)('e2e prerequisites', () => {
  it('has Debian chromium at /usr/bin/chromium', () => {
    throw new Error('/usr/bin/chromium is missing: .ci/run must install it (apt-get install chromium)')
  })
})

describe.skipIf(!HAS_CHROMIUM)('dashboards in a real browser', () => {
  let server: E2eServer
  let browser: Browser
  const contexts: BrowserContext[] = []

  beforeAll(async () => {
    ensureWebBuild()
    server = await startServer()
    browser = await launchBrowser()
  }, 60_000)

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)))
    await browser?.close()
    await server?.close()
  })

  async function newPage(width = 1280, height = 860): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height }, baseURL: server.url })
    contexts.push(context)
    return context.newPage()
  }

  /** Backend routes still landing: skipped with a note locally, a failure in CI. */
  function requireRoutes(ctx: TestContext, routes: string[]): void {
    const missing = missingRoutes(server.app, routes)
    if (missing.length === 0) return
    const note = `waits for backend routes: ${missing.join(', ')}`
    if (IN_CI) throw new Error(note)
    ctx.skip(note)
  }

  async function waitLive(page: Page): Promise<void> {
    await page.locator('.conn[data-state="connected"]').waitFor({ timeout: 10_000 })
  }

  it('signs each role in and lands it on its own dashboard; a wrong role gets 403, a dead token login', async () => {
    const titles: Record<DemoRole, string> = {
      customer: 'My vehicles',
      service: 'Service centre',
      manufacturer: 'Quality insights',
    }
    for (const role of Object.keys(DEMO) as DemoRole[]) {
      const page = await newPage()
      await signIn(page, server, role)
      expect(new URL(page.url()).pathname).toBe(DEMO[role].home)
      await expect(page.locator('.topbar-title').textContent()).resolves.toBe(titles[role])
      await screenshot(page, `landing-${role}`)
      if (role === 'customer') {
        await page.goto('/dashboard/manufacturing')
        await page.getByText('Error 403').waitFor()
        await screenshot(page, 'forbidden')
      }
    }

    // A token whose `exp` has passed goes back to login, and the page says why.
    const page = await newPage(390, 844)
    const past = Math.floor(Date.now() / 1000) - 60
    const payload = Buffer.from(JSON.stringify({ sub: 'x', role: 'service', exp: past })).toString(
      'base64url',
    )
    const user = JSON.stringify({ id: 'x', email: 'x@example.com', role: 'service', name: 'X' })
    await page.addInitScript(
      `localStorage.setItem('autonoma.token', ${JSON.stringify(`e30.${payload}.sig`)});` +
        `localStorage.setItem('autonoma.user', ${JSON.stringify(user)});`,
    )
    await page.goto('/dashboard/service')
    await page.waitForURL(/\/login\?expired=1/)
    await page.getByText('Your session has ended').waitFor()
    await screenshot(page, 'expired-390px')
  }, 30_000)

  it("feeds the customer's live charts from the WebSocket", async (ctx) => {
    requireRoutes(ctx, ['GET /api/vehicles', 'GET /ws/telemetry'])
    const page = await newPage()
    await signIn(page, server, 'customer')
    await waitLive(page)
    const chart = page.locator('figure[data-field="battery_temperature"]')
    await expect
      .poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 10_000 })
      .toBeGreaterThan(5)
    // Moving, not just backfilled: the newest point keeps advancing.
    const first = Number(await chart.getAttribute('data-last'))
    await expect
      .poll(async () => Number(await chart.getAttribute('data-last')), { timeout: 5000 })
      .toBeGreaterThan(first)
    for (const field of ['driving_speed', 'motor_rpm', 'motor_vibration']) {
      expect(
        Number(await page.locator(`figure[data-field="${field}"]`).getAttribute('data-points')),
      ).toBeGreaterThan(0)
    }
    await screenshot(page, 'customer-live-charts')

    const phone = await newPage(390, 844)
    await signIn(phone, server, 'customer')
    await waitLive(phone)
    await screenshot(phone, 'customer-390px')
  }, 30_000)

  it('shows an injected anomaly as an alert, then the agent message in the chat', async (ctx) => {
    requireRoutes(ctx, ['GET /api/vehicles', 'GET /ws/telemetry', 'GET /api/chat/:vin', 'POST /api/chat'])
    const page = await newPage()
    await signIn(page, server, 'customer')
    await waitLive(page)
    injectAnomaly(server, CUSTOMER_VIN)
    const badge = page.getByTestId('alert-badge')
    await badge.waitFor({ timeout: 10_000 })
    await page.locator('.msg-agent:not(.msg-typing)').first().waitFor({ timeout: 15_000 })
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 5000 }).toBe('diagnosed')
    await screenshot(page, 'customer-alert-chat')
  }, 30_000)

  it('books a slot from the chat; the service desk sees it arrive, confirms and completes it', async (ctx) => {
    requireRoutes(ctx, [
      'GET /api/vehicles',
      'GET /ws/telemetry',
      'GET /api/chat/:vin',
      'POST /api/chat',
      'GET /api/bookings',
      'POST /api/bookings',
      'PATCH /api/bookings/:id',
    ])
    const desk = await newPage()
    await signIn(desk, server, 'service')
    await waitLive(desk)
    const customer = await newPage()
    await signIn(customer, server, 'customer')
    await waitLive(customer)

    // The agent offers slots after an alert, or once the owner approves service.
    if ((await customer.locator('button[data-action="book_slot"]').count()) === 0) {
      injectAnomaly(server, CUSTOMER_VIN)
      const approve = customer.locator('button[data-action="confirm_booking"]:not([disabled])').last()
      const slot = customer.locator('button[data-action="book_slot"]:not([disabled])').first()
      await approve.or(slot).first().waitFor({ timeout: 15_000 })
      if ((await slot.count()) === 0) await approve.click()
    }
    const slot = customer.locator('button[data-action="book_slot"]:not([disabled])').first()
    await slot.waitFor({ timeout: 15_000 })
    await slot.click()
    const booked = customer
      .locator('.booking[data-status="PENDING"], .booking[data-status="CONFIRMED"]')
      .first()
    await booked.waitFor({ timeout: 10_000 })
    const bookingId = await booked.getAttribute('data-booking-id')
    await screenshot(customer, 'customer-booked')

    const row = desk.locator(`.queue-row[data-booking-id="${bookingId}"]`)
    await row.waitFor({ timeout: 10_000 })
    await screenshot(desk, 'service-new-booking')
    if ((await row.getAttribute('data-status')) === 'PENDING') {
      await row.locator('button[data-transition="CONFIRMED"]').click()
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 5000 }).toBe('CONFIRMED')
    }
    await row.locator('button[data-transition="COMPLETED"]').click()
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 5000 }).toBe('COMPLETED')
    await screenshot(desk, 'service-completed')

    // The owner sees it completed and may rate it.
    const done = customer.locator(`.booking[data-booking-id="${bookingId}"]`)
    await expect.poll(() => done.getAttribute('data-status'), { timeout: 10_000 }).toBe('COMPLETED')
    await done.getByText('Rate this service').waitFor()
  }, 45_000)

  it('shows the manufacturer the insight and a blocked transition in the UEBA view', async (ctx) => {
    requireRoutes(ctx, [
      'GET /api/insights',
      'GET /api/insights/summary',
      'GET /api/ueba/logs',
      'GET /ws/telemetry',
    ])
    const page = await newPage()
    await signIn(page, server, 'manufacturer')
    await waitLive(page)
    // Two vehicles of the defective batch overheat: a recurring pattern for the RCA agent.
    injectAnomaly(server, CUSTOMER_VIN)
    injectAnomaly(server, SECOND_DEFECTIVE_VIN)
    try {
      await forceBlockedTransition(server, CUSTOMER_VIN)
    } catch (err) {
      if (err instanceof NotWiredError && !IN_CI) ctx.skip(err.message)
      throw err
    }
    const card = page.locator('.insight-card').first()
    await card.waitFor({ timeout: 20_000 })
    await page.locator('tr.row-blocked').first().waitFor({ timeout: 10_000 })
    await page.getByTestId('security-banner').waitFor({ timeout: 5000 })
    await screenshot(page, 'manufacturing-insight-ueba')
    await card.locator('h3 a').click()
    await page.getByTestId('insight-detail').waitFor()
    await page.getByText('Evidence').waitFor()
    await screenshot(page, 'manufacturing-insight-detail')
  }, 45_000)
})
