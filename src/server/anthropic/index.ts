/**
 * The Anthropic-compatible Message Batches API, mounted under `/v1/messages/batches`: the official
 * SDK works against it with `baseURL: <publicUrl>` and a relayq API key (`Authorization: Bearer`
 * or `x-api-key`; any `anthropic-version`). Answers and errors in Anthropic's shapes.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deleteBatch, listBatchPage } from '../../batches/batch-list.ts';
import { getBatch } from '../../batches/batch-store.ts';
import { cancelBatch } from '../../batches/lifecycle.ts';
import { isTerminal } from '../../batches/status.ts';
import { createLineReader } from '../../ingest/formats/line-reader.ts';
import { submitFile } from '../../ingest/submit.ts';
import { UploadMeter } from '../api/upload.ts';
import { configSubmitOptions, operationDeps, visibleBatch } from '../api/batch-access.ts';
import { authenticate, principalOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { resultStream } from '../../batches/export/result-stream.ts';
import { anthropicErrorHandler } from './api-error.ts';
import { readBatchRequests } from './batch-request-reader.ts';
import { hasEnded, toMessageBatch } from './message-batch.ts';

const idParams = z.object({ id: z.string() });
const listQuery = z.object({
  before_id: z.string().optional(),
  after_id: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});

export const anthropicFace: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const deps = operationDeps(ctx);
  const limit = ctx.config.server.maxUploadBytes;
  app.setErrorHandler(anthropicErrorHandler(ctx.logger));
  app.addHook('onRequest', async (request) => {
    const principal = await authenticate(ctx, request.headers);
    if (principal === null) throw new ApiError('authentication_error', 'invalid x-api-key: make one with `relayq keys create`');
    request.principal = principal;
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ type: 'error', error: { type: 'not_found_error', message: `Not found: ${request.method} ${request.url.split('?')[0]}` } });
  });
  // The create body is read as a stream by its route, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const present = (batch: Parameters<typeof toMessageBatch>[0]) => toMessageBatch(batch, ctx.publicUrl);

  api.post('/', { schema: { hide: true }, bodyLimit: limit }, async (request) => {
    const principal = principalOf(request);
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit)
      throw new ApiError('payload_too_large', `the request is larger than the ${limit} bytes a batch may take`);
    const dir = await mkdtemp(join(tmpdir(), 'relayq-message-batch-'));
    const path = join(dir, 'requests.jsonl');
    try {
      const out = createWriteStream(path);
      const write = (line: string) =>
        new Promise<void>((resolve, reject) => out.write(`${line}\n`, (error) => (error ? reject(error) : resolve())));
      const meter = new UploadMeter(limit);
      // pipeline, not pipe: a request that breaks off destroys the meter, which ends the read with an error.
      const source = pipeline(request.raw, meter, () => {});
      try {
        await readBatchRequests(source, { reader: createLineReader({ routing: ctx.config.routing, limits: ctx.config.ingest }), write });
      } finally {
        await new Promise<void>((resolve) => out.end(resolve));
      }
      const report = await submitFile(ctx.redis, ctx.promptQueue, ctx.keys, path, {
        ...configSubmitOptions(ctx),
        tenant: principal.tenant,
        sourceName: 'message_batch.jsonl',
        windowMs: 24 * 3600 * 1000,
      });
      const batch = await getBatch(ctx.redis, ctx.keys, report.batchId);
      if (batch === null) throw new Error(`batch ${report.batchId} vanished right after its submit`);
      return present(batch);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  api.get('/', { schema: { hide: true, querystring: listQuery } }, async (request) => {
    const principal = principalOf(request);
    const { before_id, after_id, limit: pageSize } = request.query;
    const page = await listBatchPage(ctx.redis, ctx.keys, {
      tenant: principal.admin ? undefined : principal.tenant,
      limit: pageSize,
      after: after_id,
      before: before_id,
    });
    const data = page.batches.map(present);
    return { data, has_more: page.hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  });

  api.get('/:id', { schema: { hide: true, params: idParams } }, async (request) =>
    present(await visibleBatch(ctx, principalOf(request), request.params.id)),
  );

  api.post('/:id/cancel', { schema: { hide: true, params: idParams } }, async (request) => {
    const batch = await visibleBatch(ctx, principalOf(request), request.params.id);
    if (isTerminal(batch.status)) return present(batch);
    const outcome = await cancelBatch(deps, batch.id);
    return present(outcome.batch ?? batch);
  });

  api.delete('/:id', { schema: { hide: true, params: idParams } }, async (request) => {
    const batch = await visibleBatch(ctx, principalOf(request), request.params.id);
    if (!hasEnded(batch))
      throw new ApiError('invalid_request', `Batch ${batch.id} cannot be deleted while it is still processing; cancel it first.`);
    await deleteBatch(ctx.redis, ctx.keys, batch);
    await ctx.redis.hdel(ctx.keys.openAiBatches(), batch.id);
    return { id: batch.id, type: 'message_batch_deleted' };
  });

  api.get('/:id/results', { schema: { hide: true, params: idParams } }, async (request, reply) => {
    const batch = await visibleBatch(ctx, principalOf(request), request.params.id);
    if (!hasEnded(batch))
      throw new ApiError('invalid_request', `Batch ${batch.id} has not ended yet; its results are ready once processing_status is ended.`);
    const stream = resultStream(ctx, batch.id, { format: 'anthropic' });
    return reply.type('application/binary').send(stream);
  });
};
