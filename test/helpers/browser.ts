/**
 * A headless chromium for the dashboard's browser tests: Debian's `/usr/bin/chromium` (installed
 * by `.ci/run`), driven by playwright-core. `RELAYQ_CHROMIUM` points elsewhere.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const chromiumPath = process.env.RELAYQ_CHROMIUM ?? '/usr/bin/chromium';

export function haveChromium(): boolean {
  return existsSync(chromiumPath);
}

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's sandbox cannot start.
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Logs the page's context in with the key; the page ends on `next`. */
export async function logIn(page: Page, baseUrl: string, key: string, next = '/'): Promise<void> {
  await page.goto(`${baseUrl}/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=key]', key);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.click('form[action="/login"] button')]);
}

/** Whether the page is wider than its viewport (something overflows sideways). */
export async function overflowsSideways(page: Page): Promise<boolean> {
  // A string: the tests are compiled without the DOM's types.
  return (await page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1')) as boolean;
}
