import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { axeViolations } from './axe.js'
import {
  apiGet,
  apiToken,
  type E2eServer,
  ensureWebBuild,
  HAS_CHROMIUM,
  injectAnomaly,
  launchBrowser,
  screenshot,
  signIn,
  startServer,
} from './server.js'

/** A vehicle of the defective batch (its own faults come later in the replay) and one with no fault at all. */
const ALARM_VIN = '5ATURH1E0SA250102'
const SERVICE_VIN = '5ATCEV2E1RC240701'

/** The staff's screens in Debian's chromium: alarm console, fleet overview, drill-down, charts, queue. */
describe.skipIf(!HAS_CHROMIUM)('staff console in a real browser', () => {
  let server: E2eServer
  let browser: Browser
  const contexts: BrowserContext[] = []
  let pages: Page[] = []
  /** Console errors and failed requests of every page: each test ends with none. */
  let problems: string[] = []

  beforeAll(async () => {
    ensureWebBuild()
    server = await startServer()
    browser = await launchBrowser()
  }, 90_000)

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)))
    await browser?.close()
    await server?.close()
  })

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)
      for (const [i, page] of pages.entries())
        await screenshot(page, `FAILED-staff-${name}-${i}`).catch(() => undefined)
    }
    pages = []
    problems = []
  })

  async function newPage(width = 1280, height = 860): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height }, baseURL: server.url })
    contexts.push(context)
    // Records notifications instead of showing them: the test reads what a person would have seen.
    await context.addInitScript(() => {
      const w = globalThis as unknown as { __notes: string[]; Notification: unknown }
      w.__notes = []
      w.Notification = class {
        static permission = 'granted'
        static requestPermission = async () => 'granted'
        constructor(title: string, options?: { body?: string }) {
          w.__notes.push(`${title}: ${options?.body ?? ''}`)
        }
      }
    })
    const page = await context.newPage()
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`)
    })
    page.on('requestfailed', (r) => {
      // Navigating away aborts the page's in-flight fetches and its socket: not a failure people see.
      if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) problems.push(`failed: ${r.url()}`)
    })
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`)
    })
    pages.push(page)
    return page
  }

  const waitLive = (page: Page) => page.locator('.conn[data-state="connected"]').waitFor({ timeout: 10_000 })
  const waitStream = async (vin: string) =>
    expect
      .poll(() => server.app.services.pipeline.vehicleState(vin)?.latest != null, { timeout: 10_000 })
      .toBe(true)
  const pageWidth = (page: Page) =>
    page.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
          .documentElement.scrollWidth,
    )

  it('lists a new Critical alarm live, notifies, filters in the URL, acknowledges with a note and assigns', async () => {
    const page = await newPage()
    await signIn(page, server, 'service')
    await page.getByRole('link', { name: 'Alarms' }).click()
    await page.waitForURL('**/dashboard/service/alarms')
    await waitLive(page)
    // Any status: at replay speed the injected episode recovers within seconds.
    await page.getByLabel('Status').selectOption('')
    await page.waitForURL(/status=/)
    await page.getByTestId('alarm-console').waitFor()
    await waitStream(ALARM_VIN)
    injectAnomaly(server, ALARM_VIN)

    const live = page.locator(`.alarm-row[data-severity="Critical"]`).filter({ hasText: ALARM_VIN }).first()
    await live.waitFor({ timeout: 15_000 })
    await expect
      .poll(() => page.locator('.sev-count[data-severity="Critical"] .sev-count-n').textContent(), {
        timeout: 5000,
      })
      .not.toBe('0')
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as { __notes: string[] }).__notes.join('|')), {
        timeout: 10_000,
      })
      .toContain(ALARM_VIN)

    // An alarm that stays open (written as the detector would), to work on.
    const vehicle = (await server.app.services.repos.vehicles.getByVin(ALARM_VIN))!
    const { event } = await server.app.services.repos.anomalies.openEpisode(
      vehicle.id,
      'tire_pressure',
      'Critical',
      {},
    )
    // Filters live in the URL: a reload (or a shared link) shows the same list.
    await page.getByLabel('Status').selectOption('OPEN,ACKNOWLEDGED')
    await page.locator('.sev-count[data-severity="Critical"]').click()
    await page.waitForURL(/severity=Critical/)
    await page.getByLabel('Vehicle').fill(ALARM_VIN)
    await page.getByLabel('Vehicle').press('Enter')
    await page.waitForURL(new RegExp(`vin=${ALARM_VIN}`))
    await page.reload()
    const row = page.locator(`.alarm-row[data-alarm-id="${event.id}"]`)
    await row.waitFor()
    const shown = await page
      .locator('.alarm-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-severity')))
    expect(new Set(shown)).toEqual(new Set(['Critical']))

    await row.getByRole('button', { name: 'Acknowledge' }).click()
    await row.getByLabel(/Note/).fill('Owner called, car parked')
    await row.getByRole('button', { name: 'Confirm acknowledge' }).click()
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 5000 }).toBe('ACKNOWLEDGED')
    await row.getByText('Owner called, car parked').waitFor()
    await row.getByRole('button', { name: 'Assign to me' }).click()
    await row.getByText(/Assigned to /).waitFor()
    await row.getByRole('button', { name: 'Timeline' }).click()
    const timeline = row.getByTestId('vehicle-timeline')
    await timeline.locator('[data-kind="opened"]').waitFor()
    await timeline.locator('[data-kind="acknowledged"]').getByText('Owner called, car parked').waitFor()
    await timeline.locator('[data-kind="assigned"]').waitFor()
    expect(await axeViolations(page)).toEqual([])
    await screenshot(page, 'staff-alarm-console')
    expect(problems).toEqual([])

    const phone = await newPage(390, 844)
    await signIn(phone, server, 'service')
    await phone.goto(`/dashboard/service/alarms?severity=Critical`)
    await phone.locator('.alarm-row').first().waitFor({ timeout: 10_000 })
    expect(await pageWidth(phone)).toBeLessThanOrEqual(390)
    expect(await axeViolations(phone)).toEqual([])
    await screenshot(phone, 'staff-alarm-console-390px')
    expect(problems).toEqual([])
  }, 60_000)

  it('finds a vehicle in the fleet overview and opens it: charts over a range with hover values, its timeline', async () => {
    const page = await newPage()
    await signIn(page, server, 'service')
    await page.goto('/dashboard/service/fleet')
    const table = page.getByTestId('fleet-overview')
    await table.locator('tbody tr').first().waitFor()
    expect(await table.locator('tbody tr').count()).toBeGreaterThan(5)
    await page.getByLabel('Search').fill(SERVICE_VIN.slice(-6))
    await page.waitForURL(/q=/)
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1)
    await table.getByRole('link').first().click()
    await page.waitForURL(`**/dashboard/service/vehicle/${SERVICE_VIN}`)
    await waitLive(page)

    const live = page.locator('.telemetry-panel figure[data-field="battery_temperature"]')
    await expect
      .poll(async () => Number(await live.getAttribute('data-points')), { timeout: 10_000 })
      .toBeGreaterThan(3)
    // The value under the cursor, with its unit.
    const plot = live.locator('.u-over')
    const box = (await plot.boundingBox())!
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2)
    await expect.poll(() => live.locator('.u-legend').textContent()).toMatch(/°C/)

    await page.locator('.range-picker button[data-range="24h"]').click()
    const stored = page.locator('.telemetry-panel[data-range="24h"] figure[data-field="driving_speed"]')
    await expect
      .poll(async () => Number(await stored.getAttribute('data-points')), { timeout: 10_000 })
      .toBeGreaterThan(3)
    await page
      .getByTestId('vehicle-clock')
      .getByText(/Vehicle clock: \w/)
      .waitFor()
    expect(await axeViolations(page)).toEqual([])
    await screenshot(page, 'staff-drilldown-24h')
    expect(problems).toEqual([])

    const phone = await newPage(390, 844)
    await signIn(phone, server, 'service')
    // The vehicle of the first test has anomaly events: the widest content of the drill-down.
    await phone.goto(`/dashboard/service/vehicle/${ALARM_VIN}`)
    await phone.locator('.telemetry-panel figure').first().waitFor()
    await phone.getByRole('button', { name: 'Telemetry around this event' }).first().click()
    await phone.locator('.event-telemetry').first().waitFor()
    expect(await pageWidth(phone)).toBeLessThanOrEqual(390)
    expect(await axeViolations(phone)).toEqual([])
    await screenshot(phone, 'staff-drilldown-390px')
    await phone.goto('/dashboard/service/fleet')
    await phone.getByTestId('fleet-overview').locator('tbody tr').first().waitFor()
    expect(await pageWidth(phone)).toBeLessThanOrEqual(390)
    expect(problems).toEqual([])
  }, 60_000)

  it('completes a booking only with notes; the fleet list drops the open alarm without a reload', async () => {
    await waitStream(SERVICE_VIN)
    const vehicle = (await server.app.services.repos.vehicles.getByVin(SERVICE_VIN))!
    const { event } = await server.app.services.repos.anomalies.openEpisode(
      vehicle.id,
      'brake_wear',
      'High',
      {},
    )
    const slot = new Date(Date.now() + 3 * 86_400_000)
    slot.setUTCHours(10, 0, 0, 0)
    const token = await apiToken(server, 'service')
    const centres = await apiGet<Array<{ id: string }>>(server, '/api/service-centers', token)
    const booking = await server.app.services.repos.bookings.createBooking(vehicle.id, slot, 'CONFIRMED', {
      serviceCenterId: centres[0]!.id,
      anomalyEventId: event.id,
      source: 'agent',
    })

    const page = await newPage()
    await signIn(page, server, 'service')
    await waitLive(page)
    const row = page.locator(`.queue-row[data-booking-id="${booking.id}"]`)
    await row.waitFor({ timeout: 10_000 })
    await row.getByTestId('priority').getByText('P2').waitFor()
    await row.getByTestId('owner-contact').getByRole('link').waitFor()
    const fleetItem = page.locator(`.fleet-item[href$="${SERVICE_VIN}"]`)
    await expect.poll(() => fleetItem.textContent()).toMatch(/open/)

    await row.locator('button[data-transition="COMPLETED"]').click()
    const confirm = row.locator('button[data-confirm="COMPLETED"]')
    expect(await confirm.isDisabled()).toBe(true)
    await row.getByLabel('What was done (required)').fill('Replaced the front brake pads')
    await confirm.click()
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 5000 }).toBe('COMPLETED')
    await row.getByText('Done: Replaced the front brake pads').waitFor()
    await expect.poll(() => fleetItem.textContent(), { timeout: 10_000 }).not.toMatch(/open/)
    await screenshot(page, 'staff-completed-with-notes')

    await page.goto(`/dashboard/service/vehicle/${SERVICE_VIN}`)
    const serviced = page.getByTestId('vehicle-timeline').locator('[data-kind="serviced"]').first()
    await serviced.getByText('Replaced the front brake pads').waitFor({ timeout: 10_000 })
    expect(problems).toEqual([])
  }, 60_000)

  it('gives the manufacturer the same console, with the timeline in place', async () => {
    const page = await newPage()
    await signIn(page, server, 'manufacturer')
    await page.goto('/dashboard/manufacturing/alarms?status=')
    await page.getByTestId('alarm-console').waitFor()
    await page.locator('.alarm-row').first().waitFor({ timeout: 10_000 })
    await page
      .getByTestId('alarm-total')
      .getByText(/matching/)
      .waitFor()
    expect(await axeViolations(page)).toEqual([])
    await screenshot(page, 'manufacturer-alarm-console')
    expect(problems).toEqual([])
  }, 30_000)
})
