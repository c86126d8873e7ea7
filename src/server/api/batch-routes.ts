/**
 * `/api/batches`: submit a prompt file (the request body, any line format, streamed), list,
 * status, results in any export format and order, cancel, pause, resume, retry. Each route maps
 * HTTP to the functions the command line calls (submitFile, batchStatusReport, exportResults,
 * cancelBatch, ...) and back.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listBatchPage } from '../../batches/batch-list.ts';
import { getBatch, type BatchDefaults, type RejectedLine } from '../../batches/batch-store.ts';
import { resultStream } from '../../batches/export/result-stream.ts';
import { cancelBatch, pauseBatch, resumeBatch, type LifecycleOutcome } from '../../batches/lifecycle.ts';
import { submitFile, type SubmitOptions } from '../../ingest/submit.ts';
import { WebhookAddressError } from '../../webhooks/address-guard.ts';
import { batchStatusReport } from '../../operations/batch-status.ts';
import type { PriceTable } from '../../usage/prices.ts';
import { principalOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { configSubmitOptions, operationDeps, visibleBatch } from './batch-access.ts';
import {
  batchIdParamsSchema,
  batchListSchema,
  batchStatusSchema,
  errorBodySchema,
  lifecycleQuerySchema,
  lifecycleResponseSchema,
  listQuerySchema,
  resultsQuerySchema,
  submitQuerySchema,
  submitResponseSchema,
} from './schemas.ts';
import { receiveUpload } from './upload.ts';

/** Rejected lines a submit answer lists; all of them are in the batch's status. */
const answeredRejects = 100;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 413: errorBodySchema };

export function registerBatchRoutes(app: FastifyInstance, ctx: ServerContext, prices: PriceTable): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const deps = operationDeps(ctx);

  /** Streams an uploaded file into a batch (a new one, or `batchId` for a retry); returns the submit answer. */
  async function ingestUpload(path: string, options: Partial<SubmitOptions>) {
    const rejects: RejectedLine[] = [];
    const report = await submitFile(ctx.redis, ctx.promptQueue, ctx.keys, path, {
      ...configSubmitOptions(ctx),
      ...options,
      onReject: (reject) => {
        if (rejects.length < answeredRejects) rejects.push(reject);
      },
    });
    const batch = await getBatch(ctx.redis, ctx.keys, report.batchId);
    if (batch === null) throw new Error(`batch ${report.batchId} vanished right after its submit`);
    return {
      batch,
      lines_read: report.linesRead,
      accepted: report.accepted,
      rejected: report.rejected,
      already_accepted: report.alreadyAccepted,
      retried: report.retried,
      input_format: report.inputFormat,
      rejected_lines: rejects,
    };
  }

  // Uploads: the body is the prompt file, whatever its content type, read as a stream by the route.
  void app.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    await uploads.register(multipart);
    uploads.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const routes = uploads.withTypeProvider<ZodTypeProvider>();

    routes.post(
      '/batches',
      {
        schema: {
          tags: ['batches'],
          summary: 'Submit a prompt file',
          description:
            'The body is the prompt file (native, OpenAI Batch, Anthropic Message Batches or Gemini Batch lines, JSONL), streamed: `curl --data-binary @prompts.jsonl`, or as the file of a multipart/form-data body (`curl -F file=@prompts.jsonl`). Up to `server.maxUploadBytes` (256 MB by default). Each line is checked on its own; rejected lines are listed with their line numbers and the rest runs.',
          querystring: submitQuerySchema,
          response: { 201: submitResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const query = request.query;
        const upload = await receiveUpload(request, ctx.config.server.maxUploadBytes);
        try {
          if (!upload.hasContent)
            throw new ApiError('invalid_request', 'the upload is empty (or blank lines only): there is no prompt to submit');
          const defaults: BatchDefaults = {};
          if (query.provider) defaults.provider = query.provider;
          if (query.model) defaults.model = query.model;
          if (query.max_tokens) defaults.maxTokens = query.max_tokens;
          if (query.system) defaults.system = query.system;
          const answer = await ingestUpload(upload.path, {
            tenant: principal.tenant,
            sourceName: query.name ?? 'upload.jsonl',
            defaults: Object.keys(defaults).length > 0 ? defaults : undefined,
            metadata: query.tag,
            windowMs: query.window,
            retentionSeconds: query.retention === undefined ? undefined : Math.round(query.retention / 1000),
            webhooks: query.webhook,
          }).catch((error: unknown) => {
            if (error instanceof WebhookAddressError) throw new ApiError('invalid_request', error.message);
            throw error;
          });
          return reply.code(201).send(answer);
        } finally {
          await upload.remove();
        }
      },
    );

    routes.post(
      '/batches/:id/retry',
      {
        schema: {
          tags: ['batches'],
          summary: "Run a batch's errored prompts again",
          description:
            "The body is the batch's input file again (the prompts are read from it); an empty body reads the file the batch was submitted from, for batches made with `relayq submit` (admin keys).",
          params: batchIdParamsSchema,
          response: { 200: submitResponseSchema, ...errors },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const batch = await visibleBatch(ctx, principal, request.params.id);
        const upload = await receiveUpload(request, ctx.config.server.maxUploadBytes);
        try {
          let path = upload.path;
          if (!upload.hasContent) {
            if (batch.source_path === null || !principal.admin)
              throw new ApiError('conflict', `batch ${batch.id} keeps no input file: send it again as the request body`);
            path = batch.source_path;
          }
          if (batch.counts.errored === 0) {
            return {
              batch,
              lines_read: 0,
              accepted: 0,
              rejected: 0,
              already_accepted: 0,
              retried: 0,
              input_format: batch.input_format,
              rejected_lines: [],
            };
          }
          return await ingestUpload(path, {
            batchId: batch.id,
            retryErrored: true,
            defaults: batch.defaults,
            tenant: batch.tenant ?? undefined,
            sourceName: upload.hasContent ? batch.source : undefined,
          });
        } finally {
          await upload.remove();
        }
      },
    );
  });

  api.get(
    '/batches',
    {
      schema: {
        tags: ['batches'],
        summary: 'List batches, newest first',
        querystring: listQuerySchema,
        response: { 200: batchListSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { limit, after, before } = request.query;
      const page = await listBatchPage(ctx.redis, ctx.keys, {
        tenant: principal.admin ? undefined : principal.tenant,
        limit,
        after,
        before,
      });
      return {
        data: page.batches,
        has_more: page.hasMore,
        first_id: page.batches[0]?.id ?? null,
        last_id: page.batches.at(-1)?.id ?? null,
      };
    },
  );

  api.get(
    '/batches/:id',
    {
      schema: {
        tags: ['batches'],
        summary: "A batch's status",
        description:
          'The same object `relayq status BATCH --json` prints: counts, errors by kind, usage, cost, accounts, rate, ETA, rejected lines.',
        params: batchIdParamsSchema,
        response: { 200: batchStatusSchema, ...errors },
      },
    },
    async (request) => {
      const batch = await visibleBatch(ctx, principalOf(request), request.params.id);
      const report = await batchStatusReport(deps, batch.id, prices);
      if (report === null) throw new ApiError('not_found', `no batch ${batch.id}`);
      return report.json;
    },
  );

  api.get(
    '/batches/:id/results',
    {
      schema: {
        tags: ['batches'],
        summary: "A batch's results as JSONL",
        description:
          'One line per custom_id, streamed, in the chosen format (native, openai, anthropic, gemini) and order (any, input, completion), as `relayq results` writes them.',
        params: batchIdParamsSchema,
        querystring: resultsQuerySchema,
        response: { 200: z.string().describe('JSONL: one result a line'), 404: errorBodySchema },
      },
    },
    async (request, reply) => {
      const batch = await visibleBatch(ctx, principalOf(request), request.params.id);
      const { format, order, errors: which } = request.query;
      const part = which === 'only' ? 'errors' : which === 'exclude' ? 'output' : 'all';
      const stream = resultStream(ctx, batch.id, { format, order, part });
      // A stream is sent as it is, never serialized; the response schema only documents what it carries.
      return reply.type('application/x-ndjson; charset=utf-8').send(stream as unknown as string);
    },
  );

  const lifecycles = [
    {
      action: 'cancel',
      verb: 'cancelled',
      summary: 'Cancel a batch: nothing more is sent; prompts in flight finish and keep their results',
    },
    { action: 'pause', verb: 'paused', summary: 'Pause a batch: its waiting prompts leave the queue until it is resumed' },
    { action: 'resume', verb: 'resumed', summary: 'Resume a paused batch' },
  ] as const;
  for (const { action, verb, summary } of lifecycles) {
    api.post(
      `/batches/:id/${action}`,
      {
        schema: {
          tags: ['batches'],
          summary,
          params: batchIdParamsSchema,
          querystring: lifecycleQuerySchema,
          response: { 200: lifecycleResponseSchema, ...errors },
        },
      },
      async (request) => {
        const batch = await visibleBatch(ctx, principalOf(request), request.params.id);
        const waitMs = request.query.wait ?? 0;
        let outcome: LifecycleOutcome;
        if (action === 'cancel') outcome = await cancelBatch(deps, batch.id, { waitMs });
        else if (action === 'pause') outcome = await pauseBatch(deps, batch.id, { waitMs });
        else outcome = await resumeBatch(deps, batch.id);
        if (!outcome.changed)
          throw new ApiError(
            'conflict',
            `batch ${batch.id} is ${outcome.batch?.status ?? outcome.from ?? 'gone'}; it cannot be ${verb} now`,
          );
        return {
          changed: outcome.changed,
          from: outcome.from,
          removed: outcome.removed,
          in_flight: outcome.inFlight,
          batch: outcome.batch,
        };
      },
    );
  }
}
