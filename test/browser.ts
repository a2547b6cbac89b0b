import { existsSync } from 'node:fs'
import { chromium, type Page } from 'playwright-core'
import t, { type Test } from 'tap'

/** Debian's `chromium` package; .ci/run installs it. Playwright's own browser builds are not used. */
const CHROMIUM = '/usr/bin/chromium'

/**
 * Whether Chromium is installed. Without it the browser tests are skipped with one loud line, except in CI
 * (`CI=true`), where .ci/run installs it and its absence is a failure.
 */
export function chromiumCanRun(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true') {
    t.fail(`${CHROMIUM} is missing in CI: .ci/run installs Debian's chromium before the tests`)
    return false
  }
  console.log("# SKIPPED: browser test (install Debian's chromium)")
  return false
}

export interface BrowserPage {
  page: Page
  /** The console errors and uncaught exceptions of the page so far. */
  errors: string[]
}

/** A page in headless Chromium, which the test's teardown closes, with its errors collected. */
export async function openPage(t: Test): Promise<BrowserPage> {
  // No sandbox: CI runs the tests as root, under which Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`))
  return { page, errors }
}
