import { z } from 'zod';
import { proxyUrlSchema } from '../http/proxy-url.ts';

/** The providers relayq has executors for. */
export const providerNames = ['anthropic', 'openai', 'gemini', 'azure-openai', 'bedrock'] as const;
export const providerNameSchema = z.enum(providerNames);
export type ProviderName = z.infer<typeof providerNameSchema>;

const positiveInt = z.number().int().positive();

export const accountLimitsSchema = z
  .object({
    /** Requests per minute. */
    rpm: positiveInt.optional(),
    /** Input (prompt) tokens per minute. */
    inputTpm: positiveInt.optional(),
    /** Output (completion) tokens per minute. */
    outputTpm: positiveInt.optional(),
    /** Requests in flight at once. */
    concurrency: positiveInt.optional(),
  })
  .strict();
export type AccountLimits = z.infer<typeof accountLimitsSchema>;


/** The SigV4 credential fields of a Bedrock account. */
const bedrockSigV4Fields = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;

export const accountSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9_.-]+$/, 'may use letters, digits, "_", "." and "-" only'),
    provider: providerNameSchema,
    /** Overrides the provider's public API origin (a gateway, a simulator, a regional endpoint). */
    baseUrl: z.url().optional(),
    /** An API key (`x-api-key` for Anthropic, `Authorization: Bearer` for OpenAI and for Bedrock's API keys, ...). */
    apiKey: z.string().min(1).optional(),
    /** An OAuth access token, sent as `Authorization: Bearer`. */
    authToken: z.string().min(1).optional(),
    proxy: proxyUrlSchema.optional(),
    /** Model names or globs (`claude-*`) this account serves; all models when left out. */
    models: z.array(z.string().min(1)).optional(),
    limits: accountLimitsSchema.default({}),
    priority: z.number().int().default(0),
    weight: z.number().positive().default(1),
    enabled: z.boolean().default(true),
    /** Anthropic: `anthropic-beta` flags. */
    anthropicBeta: z.array(z.string().min(1)).optional(),
    /** OpenAI: `OpenAI-Organization` and `OpenAI-Project` headers. */
    organization: z.string().min(1).optional(),
    project: z.string().min(1).optional(),
    /** Azure OpenAI: model name → deployment name (a model without an entry uses its own name), and the api-version. */
    deployments: z.record(z.string(), z.string().min(1)).optional(),
    apiVersion: z.string().min(1).optional(),
    /** Bedrock: region and SigV4 credentials (or `apiKey`); left out, the usual AWS_* environment variables are used. */
    region: z.string().min(1).optional(),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
    /** Accounts with the same group can be bound to a batch or tenant together. */
    group: z.string().min(1).optional(),
    /** Per-request timeouts in milliseconds. */
    timeouts: z
      .object({
        connectMs: positiveInt.default(10_000),
        firstByteMs: positiveInt.default(120_000),
        idleMs: positiveInt.default(120_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((account) => !(account.apiKey && account.authToken), {
    message: 'set either apiKey or authToken, not both',
    path: ['authToken'],
  })
  .superRefine((account, ctx) => {
    // A Bedrock account authenticates one way: an API key (bearer) or SigV4 keys, never both.
    if (account.provider !== 'bedrock' || account.apiKey === undefined) return;
    const sigv4 = bedrockSigV4Fields.filter((field) => account[field] !== undefined);
    if (sigv4.length === 0) return;
    ctx.addIssue({
      code: 'custom',
      message:
        `bedrock account "${account.id}" sets both apiKey and ${sigv4.join(', ')}: use either an Amazon Bedrock ` +
        'API key (apiKey) or SigV4 keys (accessKeyId, secretAccessKey, sessionToken), not both',
      path: ['apiKey'],
    });
  });
export type Account = z.infer<typeof accountSchema>;

export const configSchema = z
  .object({
    redis: z
      .object({
        /** Redis to use; when left out relayq uses 127.0.0.1:6379 or starts its own redis-server. */
        url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
        /** Key prefix; wrapped in {braces} so every key lands in one Redis Cluster slot. */
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/, 'may use letters, digits, "_", "." and "-" only')
          .default('relayq'),
      })
      .strict()
      .prefault({}),
    accounts: z.array(accountSchema).default([]),
    /** Which provider serves a model a line does not assign: first matching rule wins, else the model family. */
    routing: z
      .array(z.object({ model: z.string().min(1), provider: providerNameSchema }).strict())
      .default([]),
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
