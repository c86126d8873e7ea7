/**
 * The dashboard, served by `relayq server` at `/`: relayq's own pages (overview, batches, a batch,
 * lookup by custom_id, accounts, usage) rendered on the server, kept live by htmx polling small
 * fragments under `/live/` every 2 s, and bull-board at `/queues` for the BullMQ view. Every asset
 * is served from here (no CDN). A login with a relayq key makes a session (see session.ts); admin
 * keys see everything and may act, tenant keys see their tenant's batches and, read-only, the accounts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loadPrices } from '../usage/prices.ts';
import { webhookQueueName } from '../webhooks/webhook-job.ts';
import { errorEventLogger } from '../log.ts';
import type { DashboardContext } from './context.ts';
import { html, sendPage, type Html, type Viewer } from './html.ts';
import { overviewSource } from './overview-data.ts';
import { registerActions } from './actions.ts';
import { registerPages } from './pages/index.ts';
import {
  cookieOptions,
  createSession,
  destroySession,
  loginCsrfCookie,
  newToken,
  presentedCsrf,
  readSession,
  refuse,
  sameToken,
  sessionCookie,
  sessionTtlSeconds,
} from './session.ts';
import { findApiKey } from '../tenants/api-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
}

const assets: Record<string, { body: Buffer; type: string }> = {
  'htmx.min.js': {
    body: readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js')),
    type: 'text/javascript; charset=utf-8',
  },
  'dashboard.css': { body: readFileSync(new URL('./assets/dashboard.css', import.meta.url)), type: 'text/css; charset=utf-8' },
};

/** Paths that answer without a session. */
function isPublic(url: string): boolean {
  return url === '/login' || url.startsWith('/login?') || url.startsWith('/assets/');
}

export async function dashboard(app: FastifyInstance, options: { ctx: DashboardContext }): Promise<void> {
  const { ctx } = options;
  const prices = await loadPrices();
  const webhookQueue = new Queue(webhookQueueName, { connection: ctx.promptQueue.connection, prefix: ctx.keys.bullPrefix });
  webhookQueue.on('error', errorEventLogger(ctx.logger, 'webhook queue'));
  const queues = { [ctx.promptQueue.name]: ctx.promptQueue, [webhookQueue.name]: webhookQueue };
  const source = overviewSource(ctx, queues, prices);
  app.addHook('onClose', async () => {
    source.close();
    await webhookQueue.close().catch(() => {});
  });

  await app.register(cookie);
  await app.register(formbody);
  app.decorateRequest('viewer', null);

  app.addHook('onRequest', async (request, reply) => {
    if (isPublic(request.url)) return;
    request.viewer = await readSession(ctx.redis, ctx.keys, request.cookies[sessionCookie]);
    if (request.viewer !== null) return;
    if (request.headers['hx-request'] === 'true') return reply.code(401).header('hx-redirect', '/login').send();
    if (request.method !== 'GET') return refuse(reply, 401, 'log in first');
    const next = request.url === '/' ? '' : `?next=${encodeURIComponent(request.url)}`;
    return reply.redirect(`/login${next}`, 303);
  });
  // Every action carries the session's CSRF token; bull-board's own API calls (made by its page,
  // without the token) must come from this origin.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || isPublic(request.url)) return;
    if (request.url.startsWith('/queues/')) {
      if (request.headers['sec-fetch-site'] === 'same-origin' || sameOrigin(request)) return;
      return refuse(reply, 403, 'cross-site request refused');
    }
    if (!sameToken(presentedCsrf(request), request.viewer?.csrf))
      return refuse(reply, 403, 'the CSRF token is missing or wrong: reload the page');
  });

  app.get('/assets/:name', async (request, reply) => {
    const asset = assets[(request.params as { name: string }).name];
    if (asset === undefined) return refuse(reply, 404, 'no such asset');
    return reply.type(asset.type).header('cache-control', 'public, max-age=3600').send(asset.body);
  });

  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as { next?: string }).next);
    const token = newToken();
    void reply.setCookie(loginCsrfCookie, token, cookieOptions(request, ctx.publicUrl, 600));
    return sendPage(reply, 'Log in', null, '/login', loginForm(token, next));
  });
  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string | undefined>;
    const next = safeNext(body.next);
    if (!sameToken(body._csrf, request.cookies[loginCsrfCookie])) return refuse(reply, 403, 'the login form expired: reload the page');
    const secret = (body.key ?? '').trim();
    if ((await findApiKey(ctx.redis, ctx.keys, secret)) === null) {
      const token = newToken();
      void reply.setCookie(loginCsrfCookie, token, cookieOptions(request, ctx.publicUrl, 600));
      return sendPage(reply, 'Log in', null, '/login', loginForm(token, next, 'That key is unknown or revoked.'), 401);
    }
    const id = await createSession(ctx.redis, ctx.keys, secret);
    void reply.clearCookie(loginCsrfCookie, { path: '/' });
    void reply.setCookie(sessionCookie, id, cookieOptions(request, ctx.publicUrl, sessionTtlSeconds));
    return reply.redirect(next, 303);
  });
  app.post('/logout', async (request, reply) => {
    const id = request.cookies[sessionCookie];
    if (id) await destroySession(ctx.redis, ctx.keys, id);
    void reply.clearCookie(sessionCookie, { path: '/' });
    return reply.redirect('/login', 303);
  });

  registerPages(app, { ctx, prices, source });
  registerActions(app, { ctx, prices, source });

  // bull-board: every queue, for admin keys (a queue holds every tenant's prompts).
  const board = new FastifyAdapter();
  board.setBasePath('/queues');
  createBullBoard({
    queues: [
      // One entry per shard's prompt queue ("prompt" alone when there is one).
      ...ctx.promptQueue.all.map(
        (queue, shard, all) =>
          new BullMQAdapter(queue, all.length === 1 ? {} : { prefix: `shard ${shard}: `, description: queue.opts.prefix }),
      ),
      new BullMQAdapter(webhookQueue),
    ],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'relayq queues', hideRedisDetails: false } },
  });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (request.viewer?.admin) return;
      return sendPage(
        reply,
        'Queues',
        request.viewer,
        '/queues',
        html`<h1>Queues</h1><p class="empty">The queues hold every tenant's prompts, so bull-board is for admin keys. Your batches are under <a href="/batches">Batches</a>.</p>`,
        403,
      );
    });
    await scope.register(board.registerPlugin(), { prefix: '/queues' });
  });
}

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin.replace(/^https?:\/\//, '') === request.headers.host;
}

/** Where to go after the login: a path of this site only. */
function safeNext(next: string | undefined): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

function loginForm(token: string, next: string, error?: string): Html {
  return html`<section class="login"><h1>Log in</h1>
  <p>Use a relayq API key (<code>relayq keys create</code>). An admin key sees every batch and may act; a tenant key sees its tenant's batches.</p>
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <form method="post" action="/login">
    <input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="next" value="${next}">
    <label>API key <input type="password" name="key" autocomplete="current-password" placeholder="rq_…" required autofocus></label>
    <button>Log in</button>
  </form></section>`;
}
