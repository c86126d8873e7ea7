/**
 * The zod schemas of `/api`: request parameters checked at the boundary, and responses, from
 * which `/openapi.json` is generated (fastify-type-provider-zod's jsonSchemaTransform).
 */
import { z } from 'zod';
import { attemptSchema, deliverySchema } from '../../webhooks/delivery-log.ts';
import { batchIdPattern, batchStatuses } from '../../batches/batch-store.ts';
import { exportFormats, exportOrders } from '../../batches/export/export-results.ts';
import { durationMs, sinceMs } from '../../lib/duration.ts';
import { usageGroupings } from '../../usage/report.ts';

export const errorBodySchema = z
  .object({ error: z.object({ type: z.string(), message: z.string() }) })
  .meta({ id: 'Error', description: 'every error: {"error": {"type", "message"}}' });

const time = z.string().nullable();
const counts = z.record(z.string(), z.number());

export const batchSchema = z
  .object({
    id: z.string(),
    status: z.enum(batchStatuses),
    tenant: z.string().nullable(),
    source: z.string(),
    source_path: z.string().nullable(),
    input_format: z.string().nullable(),
    ingest: z.enum(['running', 'done', 'stopped']),
    created_at: z.string(),
    started_at: time,
    paused_at: time,
    finalizing_at: time,
    completed_at: time,
    failed_at: time,
    cancelling_at: time,
    cancelled_at: time,
    expires_at: time,
    expired_at: time,
    counts: z.object({
      total: z.number(),
      succeeded: z.number(),
      errored: z.number(),
      cancelled: z.number(),
      expired: z.number(),
      pending: z.number(),
      rejected: z.number(),
    }),
    usage: z.object({
      input_tokens: z.number(),
      output_tokens: z.number(),
      cache_read_tokens: z.number(),
      cache_write_tokens: z.number(),
      reasoning_tokens: z.number(),
    }),
    errors: counts.describe('errored results by error kind'),
    attempt_errors: counts.describe('failed calls tried again, by error kind'),
    retries: z.number(),
    metadata: z.record(z.string(), z.string()),
    defaults: z.object({
      provider: z.string().optional(),
      model: z.string().optional(),
      maxTokens: z.number().optional(),
      system: z.string().optional(),
    }),
    retention_s: z.number(),
    webhooks: z.array(z.string()).describe('callback URLs that get the batch end event'),
    event_id: z.string().nullable().describe('the id of the webhook event of the batch end, once it ended'),
  })
  .meta({ id: 'Batch' });

const rejectedLineSchema = z.object({ line: z.number(), custom_id: z.string().nullable(), error: z.string() });
const availabilitySchema = z.object({
  provider: z.string(),
  model: z.string().nullable(),
  available_accounts: z.number(),
  unavailable: z.string().nullable(),
});

const unpricedModelSchema = z.object({ provider: z.string(), model: z.string(), reason: z.string() });

/** What `relayq status --json` prints. */
export const batchStatusSchema = batchSchema
  .extend({
    accounts: counts.describe('requests per account that served the batch'),
    cost: z.number().nullable().describe('list-price cost; null when some model has no known price'),
    cost_unknown: z
      .object({ models: z.array(unpricedModelSchema), tokens: z.number(), partial_cost: z.number() })
      .nullable()
      .describe('when the cost is unknown: the models without a price and why, their tokens, the cost of the rest'),
    currency: z.string(),
    webhook_events: z
      .array(
        z.object({
          id: z.string(),
          batch_id: z.string(),
          type: z.string(),
          tenant: z.string().nullable(),
          created_at: z.number(),
          deliveries: z.array(deliverySchema),
          attempts: z.array(attemptSchema),
        }),
      )
      .describe('the batch end event with its deliveries and attempts (no secrets)'),
    rate_per_s: z.number(),
    eta_ms: z.number().nullable(),
    waiting: z.array(z.object({ provider: z.string(), accounts: z.array(z.string()), prompts: z.number(), reason: z.string() })),
    availability: z.array(availabilitySchema),
    rejected_lines: z.array(rejectedLineSchema),
  })
  .meta({ id: 'BatchStatus', description: 'the same object `relayq status BATCH --json` prints' });

export const batchIdParamsSchema = z.object({ id: z.string().describe('a batch id (batch_...)') });

export function isBatchId(id: string): boolean {
  return batchIdPattern.test(id);
}

const duration = (what: string) =>
  z
    .string()
    .refine((text) => durationMs(text) !== null, `${what} wants a duration such as 90s, 30m, 24h or 7d`)
    .transform((text) => durationMs(text) as number);

const tags = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .refine((list) => list.every((tag) => tag.indexOf('=') > 0), 'tag wants key=value')
  .transform((list) => Object.fromEntries(list.map((tag) => [tag.slice(0, tag.indexOf('=')), tag.slice(tag.indexOf('=') + 1)])));

export const submitQuerySchema = z.object({
  name: z.string().min(1).max(256).optional().describe('the name the batch shows as its source (default upload.jsonl)'),
  provider: z.string().min(1).optional().describe('--provider: for lines that name none'),
  model: z.string().min(1).optional().describe('--model: for lines that name none'),
  max_tokens: z.coerce.number().int().positive().optional().describe('--max-tokens: for lines that set none'),
  system: z.string().optional().describe('--system: for lines that have none'),
  window: duration('window').optional().describe('completion window (24h): what has not run by then is marked expired'),
  retention: duration('retention').optional().describe('how long results stay after the batch ends (default 7d)'),
  tag: tags.optional().describe('key=value, repeatable: tags kept on the batch'),
  webhook: z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .optional()
    .describe('--webhook: a URL that gets the signed batch end event, repeatable (see the README: Webhooks)'),
});

export const submitResponseSchema = z
  .object({
    batch: batchSchema,
    lines_read: z.number(),
    accepted: z.number(),
    rejected: z.number(),
    already_accepted: z.number(),
    retried: z.number(),
    input_format: z.string().nullable(),
    rejected_lines: z.array(rejectedLineSchema).describe('the first rejected lines (all of them: GET /api/batches/{id})'),
  })
  .meta({ id: 'SubmitReport' });

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  after: z.string().optional().describe('batches older than this id (the next page)'),
  before: z.string().optional().describe('batches newer than this id (the page before)'),
});

export const batchListSchema = z
  .object({
    data: z.array(batchSchema),
    has_more: z.boolean(),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
  })
  .meta({ id: 'BatchList' });

export const resultsQuerySchema = z.object({
  format: z.enum(exportFormats).default('native'),
  order: z.enum(exportOrders).default('any'),
  errors: z
    .enum(['include', 'only', 'exclude'])
    .default('include')
    .describe("format=openai: OpenAI's output file holds succeeded prompts, its error file the rest; include: both"),
});

export const lifecycleQuerySchema = z.object({
  wait: duration('wait').optional().describe('how long to wait for prompts in flight to finish (default: not at all)'),
});

export const lifecycleResponseSchema = z
  .object({ changed: z.boolean(), from: z.string().nullable(), removed: z.number(), in_flight: z.number(), batch: batchSchema.nullable() })
  .meta({ id: 'LifecycleOutcome', description: 'the same object `relayq cancel|pause|resume --json` prints' });

export const accountParamsSchema = z.object({ id: z.string().min(1) });
export const disableBodySchema = z
  .object({ reason: z.string().max(500).optional().describe('shown in accounts list and batch statuses') })
  .optional();

const nullableNumber = z.number().nullable();
const limitSetSchema = z.object({
  rpm: nullableNumber,
  inputTpm: nullableNumber,
  outputTpm: nullableNumber,
  tpm: nullableNumber,
  concurrency: nullableNumber,
});
const accountErrorSchema = z.object({ at: z.string(), kind: z.string(), message: z.string() });

export const accountSchema = z
  .object({
    id: z.string(),
    provider: z.string().nullable(),
    group: z.string().nullable(),
    enabled: z.boolean(),
    health: z.object({
      status: z.enum(['ok', 'cooling_down', 'disabled']),
      reason: z.string().nullable(),
      disabledBy: z.enum(['provider', 'operator', 'config']).nullable(),
      since: z.string().nullable(),
      until: z.string().nullable(),
    }),
    configured: limitSetSchema,
    learned: limitSetSchema.extend({ adaptiveRpm: nullableNumber }),
    effective: limitSetSchema,
    usage: z.object({
      inFlight: z.number(),
      available: z.object({ rpm: nullableNumber, inputTpm: nullableNumber, outputTpm: nullableNumber, tpm: nullableNumber }),
    }),
    counters: z.object({ admitted: z.number(), succeeded: z.number(), rateLimited: z.number(), errors: z.number() }),
    lastError: accountErrorSchema.nullable(),
    pacing: z
      .object({ since: z.string(), reason: z.string().nullable() })
      .nullable()
      .describe('set once bursts drew a 429: the account is paced at its steady rate since then'),
    inConfig: z.boolean(),
    recentErrors: z.array(accountErrorSchema),
  })
  .meta({ id: 'Account' });

export const accountsResponseSchema = z
  .object({
    accounts: z.array(accountSchema),
    waiting: z.array(
      z.object({
        poolKey: z.string(),
        provider: z.string(),
        accounts: z.array(z.string()),
        prompts: z.number(),
        reason: z.string(),
        blocked: z.boolean(),
      }),
    ),
    bindings: z.record(z.string(), z.object({ accounts: z.array(z.string()), groups: z.array(z.string()), exclusive: z.boolean() })),
    availability: z.array(availabilitySchema),
  })
  .meta({ id: 'Accounts', description: 'the same object `relayq accounts list --json` prints' });

export const usageQuerySchema = z.object({
  since: z
    .string()
    .default('7d')
    .refine((text) => sinceMs(text) !== null, 'since wants a duration back from now (7d) or a date (2025-06-01)'),
  by: z.enum(usageGroupings).default('model'),
});

const usageGroupSchema = z.object({
  key: z.string(),
  requests: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_tokens: z.number(),
  cache_write_tokens: z.number(),
  reasoning_tokens: z.number(),
  cost: z.number().nullable(),
  partial_cost: z.number().optional(),
  unpriced_models: z.array(unpricedModelSchema).optional(),
  unpriced_tokens: z.number().optional(),
});
export const usageResponseSchema = z
  .object({
    since: z.string(),
    by: z.enum(usageGroupings),
    currency: z.string(),
    groups: z.array(usageGroupSchema),
    total: usageGroupSchema,
  })
  .meta({ id: 'Usage', description: 'the same object `relayq usage --json` prints' });
