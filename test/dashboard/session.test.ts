/**
 * Dashboard sessions over plain HTTP: the login's double-submit token, the session cookie's
 * attributes, CSRF on actions, a revoked key ending its sessions at once, no open redirect after
 * the login, and every value a page shows escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/dashboard/html.ts';
import { revokeApiKey } from '../../src/tenants/api-keys.ts';
import { logInOverHttp } from '../helpers/dashboard.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;

describe('dashboard sessions', () => {
  beforeAll(async () => {
    server = await startTestServer({ worker: false });
  });
  afterAll(async () => server?.close());

  it('logs in with a live key only, with a strict HttpOnly cookie, and ends the session when the key is revoked', async () => {
    const key = await server.createKey('viewer', { tenant: 'acme' });
    expect((await logInOverHttp(server.url, 'rq_wrong')).response.status).toBe(401);

    const { response, session, setCookie } = await logInOverHttp(server.url, key, '/accounts');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/accounts');
    const line = setCookie.find((cookie) => cookie.startsWith('rq_session='))!;
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Strict/);
    expect(line).toMatch(/Path=\//);
    expect(line).not.toMatch(/Secure/); // plain http on 127.0.0.1

    const page = await fetch(`${server.url}/batches`, { headers: { cookie: `rq_session=${session}` }, redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('tenant acme');

    await revokeApiKey(server.ctx.redis, server.ctx.keys, 'viewer');
    const after = await fetch(`${server.url}/batches`, { headers: { cookie: `rq_session=${session}` }, redirect: 'manual' });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/login?next=%2Fbatches');
    const live = await fetch(`${server.url}/live/overview`, { headers: { cookie: `rq_session=${session}`, 'hx-request': 'true' } });
    expect(live.status).toBe(401);
    expect(live.headers.get('hx-redirect')).toBe('/login');
  });

  it('refuses a login without its form token, actions without the CSRF token, and redirects only within the site', async () => {
    const key = await server.createKey('ops', { admin: true });
    const noToken = await fetch(`${server.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key, _csrf: 'guessed' }).toString(),
    });
    expect(noToken.status).toBe(403);
    expect(noToken.headers.getSetCookie().some((cookie) => cookie.startsWith('rq_session='))).toBe(false);

    const { response, session } = await logInOverHttp(server.url, key, '//evil.example/');
    expect(response.headers.get('location')).toBe('/');
    const cookie = `rq_session=${session}`;
    const page = await (await fetch(`${server.url}/`, { headers: { cookie } })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1];
    expect(csrf).toBeTruthy();

    const without = await fetch(`${server.url}/accounts/sim/disable`, { method: 'POST', headers: { cookie } });
    expect(without.status).toBe(403);
    const wrong = await fetch(`${server.url}/accounts/sim/disable`, { method: 'POST', headers: { cookie, 'x-csrf-token': `${csrf}x` } });
    expect(wrong.status).toBe(403);
    const right = await fetch(`${server.url}/accounts/sim/disable`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf! } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('sim disabled for every worker');
    const form = await fetch(`${server.url}/accounts/sim/enable`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf! }).toString(),
    });
    expect(form.status).toBe(200);

    // bull-board's own API: same origin only.
    const crossSite = await fetch(`${server.url}/queues/api/queues/prompt/clean/completed`, {
      method: 'PUT',
      headers: { cookie, origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const board = await fetch(`${server.url}/queues`, { headers: { cookie } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('relayq queues');

    const logout = await fetch(`${server.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, 'x-csrf-token': csrf! } });
    expect(logout.status).toBe(303);
    expect((await fetch(`${server.url}/`, { headers: { cookie }, redirect: 'manual' })).status).toBe(303);
  });

  it('escapes every value a page shows', () => {
    const hostile = `<img src=x onerror="alert('1')">&`;
    expect(escapeHtml(hostile)).toBe('&#60;img src=x onerror=&#34;alert(&#39;1&#39;)&#34;&#62;&#38;');
    expect(html`<td title="${hostile}">${[hostile, 3]}</td>`.text).toBe(`<td title="${escapeHtml(hostile)}">${escapeHtml(hostile)}3</td>`);
    expect(html`<b>${html`<i>${hostile}</i>`}</b>`.text).toBe(`<b><i>${escapeHtml(hostile)}</i></b>`);
  });
});
