/**
 * OpenAI's Batch API: `POST /v1/batches` submits an uploaded file through the same ingest as
 * `relayq submit` (each line checked on its own; rejected lines become the batch's `errors`, with
 * their line numbers), then retrieve, list (`after`, `limit`, `has_more`) and cancel.
 * `metadata.webhook_url` attaches a webhook, as `--webhook` does.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listBatchPage } from '../../batches/batch-list.ts';
import { getBatch, getRejects, type BatchInfo } from '../../batches/batch-store.ts';
import { cancelBatch } from '../../batches/lifecycle.ts';
import { isTerminal } from '../../batches/status.ts';
import { filePath, getFile } from '../../files/file-store.ts';
import { submitFile } from '../../ingest/submit.ts';
import { WebhookAddressError } from '../../webhooks/address-guard.ts';
import { canSee, principalOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { configSubmitOptions, operationDeps, visibleBatch } from '../api/batch-access.ts';
import { type OpenAiBatchRequest, toOpenAiBatch } from './batch-object.ts';

const endpoints = ['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/completions'] as const;

const createBody = z.object({
  input_file_id: z.string().min(1),
  endpoint: z.enum(endpoints),
  completion_window: z.literal('24h', { error: "completion_window must be '24h'" }),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullable().optional(),
  output_expires_after: z.unknown().optional(),
});

const idParams = z.object({ id: z.string() });
const listQuery = z.object({ after: z.string().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) });

/** Rejected lines shown in a Batch's `errors`. */
const shownRejects = 1000;

export function registerBatchRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const deps = operationDeps(ctx);

  const requestOf = async (id: string): Promise<OpenAiBatchRequest | null> => {
    const raw = await ctx.redis.hget(ctx.keys.openAiBatches(), id);
    return raw === null ? null : (JSON.parse(raw) as OpenAiBatchRequest);
  };
  const present = async (batch: BatchInfo) =>
    toOpenAiBatch(
      batch,
      await requestOf(batch.id),
      batch.counts.rejected > 0 ? await getRejects(ctx.redis, ctx.keys, batch.id, shownRejects) : [],
    );

  api.post('/batches', { schema: { hide: true, body: createBody } }, async (request) => {
    const principal = principalOf(request);
    const body = request.body;
    const file = await getFile(ctx.redis, ctx.keys, body.input_file_id);
    if (file === null || !canSee(principal, file.tenant))
      throw Object.assign(new ApiError('not_found', `No such File object: ${body.input_file_id}`), { param: 'input_file_id' });
    const metadata = body.metadata ?? {};
    const webhook = metadata.webhook_url;
    const report = await submitFile(ctx.redis, ctx.promptQueue, ctx.keys, filePath(ctx.config.server.files.dir, file.id), {
      ...configSubmitOptions(ctx),
      tenant: principal.tenant,
      sourceName: file.filename,
      metadata,
      windowMs: 24 * 3600 * 1000,
      webhooks: webhook === undefined ? undefined : [webhook],
    }).catch((error: unknown) => {
      if (error instanceof WebhookAddressError)
        throw Object.assign(new ApiError('invalid_request', error.message), { param: 'metadata.webhook_url' });
      throw error;
    });
    const record: OpenAiBatchRequest = { input_file_id: file.id, endpoint: body.endpoint, completion_window: body.completion_window };
    await ctx.redis.hset(ctx.keys.openAiBatches(), report.batchId, JSON.stringify(record));
    const batch = await getBatch(ctx.redis, ctx.keys, report.batchId);
    if (batch === null) throw new Error(`batch ${report.batchId} vanished right after its submit`);
    return present(batch);
  });

  api.get('/batches/:id', { schema: { hide: true, params: idParams } }, async (request) =>
    present(await visibleBatch(ctx, principalOf(request), request.params.id)),
  );

  api.get('/batches', { schema: { hide: true, querystring: listQuery } }, async (request) => {
    const principal = principalOf(request);
    const { after, limit } = request.query;
    const page = await listBatchPage(ctx.redis, ctx.keys, { tenant: principal.admin ? undefined : principal.tenant, limit, after });
    const data = await Promise.all(page.batches.map(present));
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore };
  });

  api.post('/batches/:id/cancel', { schema: { hide: true, params: idParams } }, async (request) => {
    const batch = await visibleBatch(ctx, principalOf(request), request.params.id);
    if (isTerminal(batch.status))
      throw new ApiError('conflict', `Cannot cancel a batch with status '${toOpenAiBatch(batch, null, []).status}'.`);
    const outcome = await cancelBatch(deps, batch.id);
    return present(outcome.batch ?? batch);
  });
}
