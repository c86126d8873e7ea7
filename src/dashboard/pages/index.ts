/** The dashboard's pages (GET) and the live fragments htmx polls under `/live/`. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchIdPattern, getBatch, type BatchInfo } from '../../batches/batch-store.ts';
import { canSee } from '../../tenants/visibility.ts';
import type { DashboardContext } from '../context.ts';
import { accountsOverview } from '../../operations/accounts.ts';
import { loadStatus, type StatusView } from '../../operations/batch-status.ts';
import { resultStream } from '../../batches/export/result-stream.ts';
import { exportFormats, type ExportFormat } from '../../batches/export/export-results.ts';
import type { PriceTable } from '../../usage/prices.ts';
import { html, sendPage, type Viewer } from '../html.ts';
import type { OverviewSource } from '../overview-data.ts';
import { refuse } from '../session.ts';
import { accountsFragment, accountsPage } from './accounts.ts';
import { batchPage, batchSummary, lookupPage } from './batch.ts';
import { batchesPage, batchTable, parseFilter, visibleBatches } from './batches.ts';
import { overviewFragment, overviewPage } from './overview.ts';
import { periods, usagePage } from './usage.ts';

export interface PageDeps {
  ctx: DashboardContext;
  prices: PriceTable;
  source: OverviewSource;
}

function viewerOf(request: FastifyRequest): Viewer {
  if (request.viewer === null) throw new Error(`dashboard route ${request.url} ran without a session`);
  return request.viewer;
}

/** The batch when the viewer may see it; null otherwise (a tenant learns nothing of other tenants' batches). */
export async function viewableBatch(ctx: DashboardContext, viewer: Viewer, id: string): Promise<BatchInfo | null> {
  const batch = batchIdPattern.test(id) ? await getBatch(ctx.redis, ctx.keys, id) : null;
  return batch !== null && canSee(viewer, batch.tenant) ? batch : null;
}

/** How long a batch's live view is shared by every tab polling it. */
const liveViewTtlMs = 1_000;

/**
 * A batch's status view, read at most once per `liveViewTtlMs` however many tabs poll it (the
 * batch page's live part asks every 2 s per tab). Null when there is no such batch.
 */
export function liveViews(load: (id: string) => Promise<StatusView | null>, ttlMs = liveViewTtlMs) {
  const views = new Map<string, { at: number; view: Promise<StatusView | null> }>();
  return (id: string): Promise<StatusView | null> => {
    const now = Date.now();
    const cached = views.get(id);
    if (cached !== undefined && now - cached.at <= ttlMs) return cached.view;
    for (const [key, entry] of views) if (now - entry.at > ttlMs) views.delete(key);
    const view = load(id);
    views.set(id, { at: now, view });
    view.catch(() => views.delete(id));
    return view;
  };
}

export function registerPages(app: FastifyInstance, deps: PageDeps): void {
  const { ctx, prices, source } = deps;
  const operationDeps = { config: ctx.config, redis: ctx.redis, keys: ctx.keys, queue: ctx.promptQueue };
  const liveView = liveViews((id) => loadStatus(operationDeps, id, prices));
  const fragment = (body: { text: string }) => body.text;
  const noBatch = (id: string) => html`<h1>No such batch</h1><p class="empty">There is no batch <code>${id}</code> you may see.</p>`;

  app.get('/', async (request, reply) => sendPage(reply, 'Overview', viewerOf(request), '/', await overviewPage(source)));
  app.get('/live/overview', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(fragment(await overviewFragment(source))),
  );

  app.get('/batches', async (request, reply) => {
    const viewer = viewerOf(request);
    const filter = parseFilter(request.query as Record<string, string>);
    return sendPage(reply, 'Batches', viewer, '/batches', batchesPage(await visibleBatches(ctx, viewer, filter), filter, viewer));
  });
  app.get('/live/batches', async (request, reply) => {
    const viewer = viewerOf(request);
    const filter = parseFilter(request.query as Record<string, string>);
    return reply.type('text/html; charset=utf-8').send(fragment(batchTable(await visibleBatches(ctx, viewer, filter), filter, viewer)));
  });

  app.get('/batches/:id', async (request, reply) => {
    const viewer = viewerOf(request);
    const { id } = request.params as { id: string };
    const batch = await viewableBatch(ctx, viewer, id);
    const view = batch && (await loadStatus(operationDeps, batch.id, prices));
    if (!view) return sendPage(reply, 'No such batch', viewer, '/batches', noBatch(id), 404);
    return sendPage(reply, `Batch ${id}`, viewer, '/batches', await batchPage(ctx, view, viewer));
  });
  app.get('/live/batches/:id', async (request, reply) => {
    const viewer = viewerOf(request);
    const { id } = request.params as { id: string };
    const view = batchIdPattern.test(id) ? await liveView(id) : null;
    if (view === null || !canSee(viewer, view.batch.tenant)) return refuse(reply, 404, `no batch ${id}`);
    return reply.type('text/html; charset=utf-8').send(fragment(batchSummary(view, viewer)));
  });
  app.get('/batches/:id/results', async (request, reply) => {
    const viewer = viewerOf(request);
    const { id } = request.params as { id: string };
    const format = (request.query as { format?: string }).format ?? 'native';
    if (!(exportFormats as readonly string[]).includes(format))
      return refuse(reply, 400, `format must be one of ${exportFormats.join(', ')}`);
    const batch = await viewableBatch(ctx, viewer, id);
    if (batch === null) return refuse(reply, 404, `no batch ${id}`);
    return reply
      .type('application/x-ndjson')
      .header('content-disposition', `attachment; filename="${batch.id}.${format}.jsonl"`)
      .send(resultStream(ctx, batch.id, { format: format as ExportFormat, order: 'input' }));
  });

  app.get('/lookup', async (request, reply) => {
    const viewer = viewerOf(request);
    const query = request.query as { batch?: string; custom_id?: string };
    const id = (query.batch ?? '').trim();
    const batch = await viewableBatch(ctx, viewer, id);
    if (batch === null) return sendPage(reply, 'No such batch', viewer, '/batches', noBatch(id), 404);
    return sendPage(reply, `Prompt ${query.custom_id ?? ''}`, viewer, '/batches', await lookupPage(ctx, batch, query.custom_id ?? ''));
  });

  app.get('/accounts', async (request, reply) => {
    const [overview, samples] = await Promise.all([accountsOverview(ctx), source.samples()]);
    return sendPage(reply, 'Accounts', viewerOf(request), '/accounts', accountsPage(overview, samples, viewerOf(request)));
  });
  app.get('/live/accounts', async (request, reply) => {
    const [overview, samples] = await Promise.all([accountsOverview(ctx), source.samples()]);
    return reply.type('text/html; charset=utf-8').send(fragment(accountsFragment(overview, samples, viewerOf(request))));
  });

  app.get('/usage', async (request, reply) => {
    const asked = (request.query as { period?: string }).period;
    const period = asked !== undefined && asked in periods ? (asked as keyof typeof periods) : '7d';
    return sendPage(reply, 'Usage', viewerOf(request), '/usage', await usagePage(ctx, prices, viewerOf(request), period));
  });
}
