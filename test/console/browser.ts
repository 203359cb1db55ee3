/**
 * Headless Chromium for the console's browser tests: Debian's chromium
 * package driven by playwright-core (which downloads no browser). Each page
 * visited is checked for console errors and with axe-core.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Test } from 'tap'

export const CHROMIUM = process.env.HOOKGATE_CHROMIUM ?? '/usr/bin/chromium'
const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source

export async function launch (t: Test): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set HOOKGATE_CHROMIUM)`)
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
  t.teardown(() => browser.close())
  return browser
}

/** Every console error and uncaught exception a page produced (a CSP refusal is one). */
export function collectErrors (page: Page): string[] {
  const errors: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`) })
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`))
  return errors
}

export interface AxeViolation { id: string, impact: string | null, help: string, nodes: Array<{ target: unknown[] }> }

/**
 * axe-core's serious and critical violations on the page as it stands. The
 * script goes in through the DevTools protocol (page.evaluate), which the
 * page's CSP does not govern, so the CSP under test stays as served.
 */
export async function axeViolations (page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe
    return (await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] })).violations
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}
