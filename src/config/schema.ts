import { z } from 'zod';
import { isProviderName, providerNames, providers, unknownProviderMessage, type ProviderName } from '../providers/index.ts';
import { sharedAccountFields } from '../providers/shared/account-fields.ts';
import type { Account as ContractAccount } from '../executors/types.ts';
import { clusterUrl, parseClusterUrl } from '../redis/connection.ts';

/** The providers relayq has modules for (src/providers/index.ts is the one list). */
export { providerNames, type ProviderName };
export { accountLimitsSchema, type AccountLimits } from '../providers/shared/account-fields.ts';

export const providerNameSchema = z.enum(providerNames, { error: (issue) => unknownProviderMessage(issue.input) });

const positiveInt = z.number().int().positive();

type AccountSchemas = (typeof providers)[number]['accountSchema'];

/** Each provider's account schema, joined on `provider`: a field of another provider is an error naming it. */
const providerAccountSchema = z.discriminatedUnion(
  'provider',
  providers.map((provider) => provider.accountSchema) as [AccountSchemas, ...AccountSchemas[]],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? unknownProviderMessage((issue.input as { provider?: unknown } | undefined)?.provider) : undefined,
  },
);

/** The shared fields of an account whose provider is unknown, checked too so one run names every mistake. */
const sharedAccountSchema = z.looseObject(sharedAccountFields);

/**
 * One account: its provider's schema. An account whose provider is unknown gets the provider error
 * and its shared fields' errors at once; the apiKey/authToken rule holds for every provider.
 */
export const accountSchema = z
  .preprocess((input, ctx) => {
    const provider = (input as { provider?: unknown } | null | undefined)?.provider;
    if (input === null || typeof input !== 'object' || isProviderName(provider)) return input;
    ctx.addIssue({ code: 'custom', message: unknownProviderMessage(provider), path: ['provider'], input });
    const shared = sharedAccountSchema.safeParse(input);
    for (const issue of shared.error?.issues ?? []) ctx.addIssue({ ...issue, code: 'custom', input });
    return input;
  }, providerAccountSchema)
  .refine((account) => !(account.apiKey && account.authToken), {
    message: 'set either apiKey or authToken, not both',
    path: ['authToken'],
  });
/** One account of the config: the union of every provider's account type (the executor contract's `Account`). */
export type Account = z.infer<typeof accountSchema>;
// Compiles only while this union and the executor contract's (src/executors/types.ts) agree.
const sameAsTheContracts: [Account, ContractAccount] extends [ContractAccount, Account] ? true : false = true;
void sameAsTheContracts;

/**
 * What one input line may hold. Defaults: 10 MB a line (the providers' request limits), 128
 * levels of JSON nesting, 64-character custom_ids (Anthropic's limit, applied to every format).
 */
export const ingestLimitsSchema = z
  .object({
    /** Bytes one input line may take; a longer line is rejected without being read into memory. */
    maxLineBytes: positiveInt.max(256 * 1024 * 1024, 'must be at most 268435456 (256 MB)').default(10 * 1024 * 1024),
    /** Levels of JSON nesting (objects and arrays) one line may have. */
    maxDepth: positiveInt.max(1000, 'must be at most 1000').default(128),
    /** Characters a custom_id (a Gemini line's `key`) may have. */
    maxCustomIdLength: positiveInt.max(1024, 'must be at most 1024').default(64),
  })
  .strict();
export type IngestLimits = z.infer<typeof ingestLimitsSchema>;
/** The limits when the config sets none. */
export const defaultIngestLimits: Readonly<IngestLimits> = Object.freeze(ingestLimitsSchema.parse({}));

export const serverConfigSchema = z
  .object({
    /** Port to listen on (`relayq server --port` overrides it). */
    port: z.number().int().min(0).max(65535).default(8080),
    /** Address to listen on (`--host`); 0.0.0.0 to accept connections from other machines. */
    host: z.string().min(1).default('127.0.0.1'),
    /**
     * The absolute origin clients reach the server at (`https://relayq.example.com`), used in the
     * URLs relayq hands out (Anthropic's `results_url`); left out: http://<host>:<port>.
     */
    publicUrl: z
      .url({ protocol: /^https?$/, error: 'must be an absolute http:// or https:// URL' })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /** Bytes a prompt file sent to `/api` may take (default 256 MB, Anthropic's Message Batches limit); more answers 413. */
    maxUploadBytes: positiveInt.default(256 * 1024 * 1024),
    /** Files uploaded through the OpenAI-compatible `POST /v1/files`: where they are kept, and how large one may be (default 200 MB, OpenAI's batch input limit). */
    files: z
      .object({
        dir: z.string().min(1).default('.relayq/files'),
        maxBytes: positiveInt.default(200 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** `GET /metrics` (Prometheus), on the server and on `relayq worker --metrics-port`. */
    metrics: z
      .object({
        /** When set, a scrape must send `Authorization: Bearer <token>`; use `${ENV_VAR}`, not the token itself. */
        token: z.string().min(16, 'must be at least 16 characters').optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type ServerConfig = z.infer<typeof serverConfigSchema>;

export const configSchema = z
  .object({
    redis: z
      .object({
        /**
         * Redis to use; when left out relayq uses 127.0.0.1:6379 or starts its own redis-server.
         * `redis+cluster://host:port,host:port` (or `rediss+cluster://`) names a Redis Cluster.
         */
        url: z
          .string()
          .regex(/^rediss?(\+cluster)?:\/\//, 'must start with redis://, rediss://, redis+cluster:// or rediss+cluster://')
          .superRefine((url, context) => {
            try {
              parseClusterUrl(url);
            } catch (error) {
              context.addIssue({ code: 'custom', message: (error as Error).message });
            }
          })
          .optional(),
        /** A Redis Cluster by some of its nodes (`redis://host:port` each; any node will do, the client finds the rest). */
        cluster: z
          .array(z.string().regex(/^rediss?:\/\/[^/,]+\/?$/, 'must be a node URL like redis://host:port'))
          .min(1)
          .optional(),
        /**
         * Batch shards: each a hash tag of its own holding some batches' keys and one prompt queue,
         * spread over a cluster's masters. Default 1 on a single Redis, 6 on a cluster. Fixed for a
         * prefix by the first process that uses it.
         */
        shards: positiveInt.max(64).optional(),
        /** Key prefix: the control keys are `{prefix}:...`, shards and account/scheduling keys `{prefix:...}:...`. */
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/, 'may use letters, digits, "_", "." and "-" only')
          .default('relayq'),
      })
      .strict()
      .refine((redis) => redis.url === undefined || redis.cluster === undefined, {
        message: 'give redis.url or redis.cluster, not both',
      })
      .transform(({ cluster, ...redis }) => (cluster === undefined ? redis : { ...redis, url: clusterUrl(cluster) }))
      .prefault({}),
    accounts: z.array(accountSchema).default([]),
    /** Which provider serves a model a line does not assign: first matching rule wins, else the model family. */
    routing: z.array(z.object({ model: z.string().min(1), provider: providerNameSchema }).strict()).default([]),
    worker: z
      .object({
        /** Jobs one worker process runs at once. */
        concurrency: positiveInt.default(32),
        /** Attempts per prompt for retryable errors (rate limits, overload, network). */
        attempts: positiveInt.default(5),
        /** How long a job's lock lasts; a crashed worker's jobs come back after about this long. */
        lockDurationMs: positiveInt.default(30_000),
        /** How often workers look for jobs whose worker died. */
        stalledIntervalMs: positiveInt.default(30_000),
      })
      .strict()
      .prefault({}),
    /** Limits on input lines (`relayq submit`, `run`, `dry-run`). */
    ingest: ingestLimitsSchema.prefault({}),
    /** `relayq server`: where it listens, and the origin clients reach it at. */
    server: serverConfigSchema.prefault({}),
    /** Webhook deliveries (made by workers). */
    webhooks: z
      .object({
        /** Deliver to loopback, private, link-local, CGNAT and other non-public addresses too (local testing). */
        allowPrivateNetworks: z.boolean().default(false),
        /** Host names delivered to whatever address they resolve to. */
        allowHosts: z.array(z.string().min(1)).default([]),
        /** How long a receiver has to connect, answer and send its body. */
        timeoutMs: positiveInt.default(15_000),
        /** Deliveries one worker process makes at once. */
        concurrency: positiveInt.default(8),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        /** Encrypts webhook signing secrets at rest (AES-256-GCM); use `${ENV_VAR}`, not the key itself. */
        key: z.string().min(16, 'must be at least 16 characters').optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.accounts.forEach((account, index) => {
      if (seen.has(account.id)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate account id "${account.id}"`,
          path: ['accounts', index, 'id'],
        });
      }
      seen.add(account.id);
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
