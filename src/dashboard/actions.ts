/**
 * What admins do from the dashboard (POST, with the session's CSRF token; see session.ts): cancel,
 * pause, resume and retry a batch, disable and enable an account. Each answers the refreshed live
 * fragment with a line saying what happened. The same functions serve `relayq cancel`, `/api`, ...
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cancelBatch, pauseBatch, resumeBatch, type LifecycleOutcome } from '../batches/lifecycle.ts';
import { submitFile } from '../ingest/submit.ts';
import { accountsOverview, setAccountEnabledIfKnown } from '../operations/accounts.ts';
import { loadStatus } from '../operations/batch-status.ts';
import { configSubmitOptions } from '../ingest/config-options.ts';
import type { DashboardContext } from './context.ts';
import type { PriceTable } from '../usage/prices.ts';
import type { Viewer } from './html.ts';
import type { OverviewSource } from './overview-data.ts';
import { accountsFragment } from './pages/accounts.ts';
import { batchSummary } from './pages/batch.ts';
import { viewableBatch } from './pages/index.ts';
import { refuse } from './session.ts';

const batchActions = ['cancel', 'pause', 'resume', 'retry'] as const;

function adminOf(request: FastifyRequest, reply: FastifyReply): Viewer | null {
  const viewer = request.viewer;
  if (viewer?.admin) return viewer;
  void refuse(reply, 403, 'this needs an admin key');
  return null;
}

function said(action: string, outcome: LifecycleOutcome): string {
  if (!outcome.changed) return `Nothing to ${action}: the batch is ${outcome.batch?.status ?? 'gone'}.`;
  const inFlight = outcome.inFlight > 0 ? `; ${outcome.inFlight} calls in flight finish first` : '';
  if (action === 'cancel') return `Cancelling: ${outcome.removed} prompts cancelled${inFlight}.`;
  if (action === 'pause') return `Paused: ${outcome.removed} prompts wait for the resume${inFlight}.`;
  return `Resumed: ${outcome.removed} prompts back in the queue.`;
}

export function registerActions(app: FastifyInstance, deps: { ctx: DashboardContext; prices: PriceTable; source: OverviewSource }): void {
  const { ctx, prices, source } = deps;
  const operationDeps = { config: ctx.config, redis: ctx.redis, keys: ctx.keys, queue: ctx.promptQueue };
  const batchDeps = { redis: ctx.redis, keys: ctx.keys, queue: ctx.promptQueue };

  app.post('/batches/:id/:action', async (request, reply) => {
    const viewer = adminOf(request, reply);
    if (viewer === null) return reply;
    const { id, action } = request.params as { id: string; action: string };
    if (!(batchActions as readonly string[]).includes(action)) return refuse(reply, 404, `no action ${action}`);
    const batch = await viewableBatch(ctx, viewer, id);
    if (batch === null) return refuse(reply, 404, `no batch ${id}`);
    let notice: string;
    if (action === 'retry') {
      if (batch.source_path === null)
        return refuse(reply, 409, `batch ${id} keeps no input file: retry it with the API or the command line`);
      const report = await submitFile(ctx.redis, ctx.promptQueue, ctx.keys, batch.source_path, {
        ...configSubmitOptions(ctx),
        batchId: batch.id,
        retryErrored: true,
        defaults: batch.defaults,
        tenant: batch.tenant ?? undefined,
      });
      notice = `Retrying ${report.retried} errored prompts.`;
    } else {
      const run = action === 'cancel' ? cancelBatch : action === 'pause' ? pauseBatch : resumeBatch;
      notice = said(action, await run(batchDeps, batch.id));
    }
    const view = await loadStatus(operationDeps, batch.id, prices);
    if (view === null) return refuse(reply, 404, `no batch ${id}`);
    return reply.type('text/html; charset=utf-8').send(batchSummary(view, viewer, notice).text);
  });

  app.post('/accounts/:id/:action', async (request, reply) => {
    const viewer = adminOf(request, reply);
    if (viewer === null) return reply;
    const { id, action } = request.params as { id: string; action: string };
    if (action !== 'enable' && action !== 'disable') return refuse(reply, 404, `no action ${action}`);
    const known = await setAccountEnabledIfKnown(
      ctx,
      id,
      action === 'enable',
      action === 'disable' ? `disabled from the dashboard by ${viewer.keyName}` : undefined,
    );
    if (!known) return refuse(reply, 404, `no account ${id}`);
    const [overview, samples] = await Promise.all([accountsOverview(ctx), source.samples()]);
    const notice = `${id} ${action === 'enable' ? 'enabled' : 'disabled'} for every worker.`;
    return reply.type('text/html; charset=utf-8').send(accountsFragment(overview, samples, viewer, notice).text);
  });
}
