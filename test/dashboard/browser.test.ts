/**
 * The dashboard in a real browser (headless chromium): logging in, a running batch's progress
 * advancing without a reload, a prompt found by custom_id, an account disabled and enabled again,
 * a batch cancelled, what a tenant key sees, and the pages at desktop and phone widths.
 * With RELAYQ_SCREENSHOTS=1 it also writes the README's screenshots into docs/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import { accountsOverview } from '../../src/operations/accounts.ts';
import { haveChromium, launchBrowser, logIn, overflowsSideways } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { anthropicLine } from '../scheduler/harness.ts';
import { until } from '../scheduler/harness.ts';

const screenshots = process.env.RELAYQ_SCREENSHOTS === '1' ? join(import.meta.dirname, '../../docs') : null;

let server: TestServer;
let browser: Browser;
let admin: string;
let acme: string;
let globex: string;

async function submit(key: string, lines: string[], query = ''): Promise<string> {
  const response = await fetch(`${server.url}/api/batches${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: `${lines.join('\n')}\n`,
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { batch: { id: string } }).batch.id;
}

async function page(key: string, path: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const tab = await context.newPage();
  tab.on('dialog', (dialog) => void dialog.accept());
  await logIn(tab, server.url, key, path);
  return tab;
}

const prompts = (prefix: string, n: number, fault = -1) =>
  Array.from({ length: n }, (_, i) =>
    anthropicLine(`${prefix}-${i}`, i === fault ? 'refused [[sim:fault=invalid]]' : `question ${i} of ${prefix}`),
  );

describe.skipIf(!haveChromium() && !process.env.CI)('the dashboard in a browser', () => {
  beforeAll(async () => {
    server = await startTestServer({
      simulator: { latencyMs: 250 },
      config: (url) => ({
        worker: { concurrency: 2, attempts: 1 },
        accounts: [
          { id: 'sim', provider: 'anthropic', baseUrl: url, apiKey: 'sk-ant-dash-1', limits: { rpm: 6000 } },
          { id: 'sim-2', provider: 'anthropic', baseUrl: url, apiKey: 'sk-ant-dash-2' },
        ],
      }),
    });
    admin = await server.createKey('ops', { admin: true });
    acme = await server.createKey('acme-key', { tenant: 'acme' });
    globex = await server.createKey('globex-key', { tenant: 'globex' });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refuses an unknown key, logs an admin in, and sends a page without a session to the login', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(`${server.url}/batches`);
    expect(new URL(tab.url()).pathname).toBe('/login');
    await tab.fill('input[name=key]', 'rq_not-a-key');
    await tab.click('form[action="/login"] button');
    await expect.poll(() => tab.textContent('[role=alert]')).toContain('unknown or revoked');
    await tab.fill('input[name=key]', admin);
    await Promise.all([tab.waitForURL(`${server.url}/batches`), tab.click('form[action="/login"] button')]);
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === 'rq_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // An action without the session's CSRF token is refused, even with the cookie.
    const forged = await tab.request.post(`${server.url}/accounts/sim/disable`);
    expect(forged.status()).toBe(403);
    expect((await accountsOverview(server.ctx)).accounts.find((a) => a.id === 'sim')?.enabled).toBe(true);
    await context.close();
  });

  it("shows a running batch's progress advancing without a reload, then finds a prompt by custom_id", async () => {
    const batchId = await submit(acme, prompts('run', 40, 3), '?tag=team=search');
    const tab = await page(admin, `/batches/${batchId}`);
    const done = async () => Number(await tab.getAttribute('#batch-live [role=progressbar]', 'aria-valuenow'));
    await tab.evaluate('window.stayed = true');
    const first = await done();
    await expect.poll(done, { timeout: 30_000 }).toBeGreaterThan(first);
    await expect.poll(() => tab.textContent('#batch-status'), { timeout: 60_000 }).toContain('completed');
    // The same document all along: no navigation or reload happened.
    expect(await tab.evaluate('window.stayed')).toBe(true);
    if (screenshots) await tab.reload().then(() => tab.screenshot({ path: join(screenshots, 'dashboard-batch.png'), fullPage: true }));

    // Errors by kind, with the errored prompt as the example.
    await tab.reload();
    expect(await tab.textContent('table.errors')).toContain('run-3');
    await tab.fill('form.lookup input[name=custom_id]', 'run-7');
    await Promise.all([tab.waitForURL(/\/lookup\?/), tab.click('form.lookup button')]);
    expect(await tab.textContent('#prompt-status')).toBe('succeeded');
    expect(await tab.textContent('main')).toContain('question 7 of run');

    // The batches list: filter by tag, the batch is there with its progress.
    await tab.goto(`${server.url}/batches?tag=team%3Dsearch`);
    expect(await tab.locator('tr[data-batch]').count()).toBe(1);
    expect(await tab.getAttribute(`tr[data-batch="${batchId}"] [role=progressbar]`, 'aria-valuenow')).toBe('40');
    await tab.context().close();
  }, 120_000);

  it('disables an account for every worker and enables it again', async () => {
    const tab = await page(admin, '/accounts');
    await tab.click('#account-sim button.disable');
    await expect.poll(() => tab.getAttribute('#account-sim', 'data-health')).toBe('disabled');
    expect((await accountsOverview(server.ctx)).accounts.find((a) => a.id === 'sim')?.enabled).toBe(false);
    await tab.click('#account-sim button.enable');
    await expect.poll(() => tab.getAttribute('#account-sim', 'data-health')).not.toBe('disabled');
    expect((await accountsOverview(server.ctx)).accounts.find((a) => a.id === 'sim')?.enabled).toBe(true);
    if (screenshots) await tab.screenshot({ path: join(screenshots, 'dashboard-accounts.png'), fullPage: true });
    await tab.context().close();
  }, 60_000);

  it('cancels a batch', async () => {
    const batchId = await submit(acme, prompts('long', 400));
    const tab = await page(admin, `/batches/${batchId}`);
    if (screenshots) {
      await tab.goto(`${server.url}/`);
      await tab.waitForTimeout(2500);
      await tab.screenshot({ path: join(screenshots, 'dashboard-overview.png'), fullPage: true });
      await tab.goto(`${server.url}/batches/${batchId}`);
    }
    await tab.click('button.cancel');
    await expect.poll(() => tab.textContent('#batch-status'), { timeout: 30_000 }).toMatch(/cancell/);
    await until(
      async () => (await getBatch(server.ctx.redis, server.ctx.keys, batchId))?.status === 'cancelled',
      'the batch to be cancelled',
    );
    const batch = await getBatch(server.ctx.redis, server.ctx.keys, batchId);
    expect(batch?.counts.pending).toBe(0);
    expect(batch?.counts.cancelled).toBeGreaterThan(0);
    await tab.context().close();
  }, 60_000);

  it('shows a tenant its own batches only, read-only, and no bull-board', async () => {
    const mine = await submit(globex, prompts('g', 2));
    const theirs = await submit(acme, prompts('a', 2));
    const tab = await page(globex, '/batches');
    expect(await tab.locator(`tr[data-batch="${mine}"]`).count()).toBe(1);
    expect(await tab.locator(`tr[data-batch="${theirs}"]`).count()).toBe(0);
    expect(await tab.textContent('main')).not.toContain('acme');
    const other = await tab.goto(`${server.url}/batches/${theirs}`);
    expect(other?.status()).toBe(404);
    const lookup = await tab.goto(`${server.url}/lookup?batch=${theirs}&custom_id=a-0`);
    expect(lookup?.status()).toBe(404);
    expect((await tab.goto(`${server.url}/queues`))?.status()).toBe(403);
    await tab.goto(`${server.url}/accounts`);
    expect(await tab.locator('#account-sim').count()).toBe(1);
    expect(await tab.locator('button.disable, button.enable').count()).toBe(0);
    const csrf = await tab.getAttribute('meta[name=csrf-token]', 'content');
    const refused = await tab.request.post(`${server.url}/accounts/sim/disable`, { headers: { 'x-csrf-token': csrf ?? '' } });
    expect(refused.status()).toBe(403);
    await tab.context().close();
  }, 60_000);

  it('lays every page out at 1280×800 and at a phone width without sideways scrolling', async () => {
    const batchId = await submit(admin, prompts('wide', 3));
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      const tab = await page(admin, '/', viewport);
      for (const path of ['/', '/batches', `/batches/${batchId}`, '/accounts', '/usage', '/queues']) {
        const response = await tab.goto(`${server.url}${path}`);
        expect(response?.status(), path).toBe(200);
        if (path !== '/queues') expect(await overflowsSideways(tab), `${path} at ${viewport.width}px`).toBe(false);
        if (screenshots && viewport.width < 500 && path === `/batches/${batchId}`) {
          await tab.screenshot({ path: join(screenshots, 'dashboard-batch-phone.png'), fullPage: false });
        }
      }
      await tab.context().close();
    }
  }, 90_000);
});
