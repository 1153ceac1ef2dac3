import axe from 'axe-core'
import type { Page } from 'playwright-core'

/** One rule axe found broken, and where: what a failing assertion should print. */
export interface AxeViolation {
  id: string
  impact: string | null
  targets: string[]
}

/**
 * Runs axe-core in the page and returns its violations. The app's CSP forbids injected <script>
 * tags (addScriptTag), so axe's own source string is evaluated in the page instead; the page keeps
 * its CSP for everything else. WCAG 2.1 A/AA rules plus axe's best practices.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // A row arriving live fades in from 40 % opacity: scanned mid-fade its text fails contrast, which
  // is not what a reader sees a moment later. Finish running animations first.
  // (Only finite ones: a spinner's endless animation cannot finish.)
  await page.evaluate(
    'document.getAnimations().forEach((a) => { if (Number.isFinite(a.effect?.getComputedTiming().endTime)) a.finish() })',
  )
  await page.evaluate(axe.source)
  const run = `(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }))
  })()`
  return (await page.evaluate(run)) as AxeViolation[]
}
