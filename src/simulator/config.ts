/**
 * The simulator's configuration: keys and their rate limits, latency, fault rates, models.
 * Given to `startSimulator()` as an object, or to `relayq simulate --config F` as YAML/JSON.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().min(0);
const rate = z.number().min(0).max(1).default(0);

/** Limits of one API key. Every per-minute limit is a continuously refilled bucket. */
export const simulatorLimitsSchema = z
  .object({
    /** Requests per minute. */
    rpm: positiveInt.optional(),
    /** Input tokens per minute, charged at admission. */
    inputTpm: positiveInt.optional(),
    /** Output tokens per minute: max_tokens reserved at admission, the unused part given back. */
    outputTpm: positiveInt.optional(),
    /** Requests in flight at once. */
    concurrency: positiveInt.optional(),
  })
  .strict();
export type SimulatorLimits = z.infer<typeof simulatorLimitsSchema>;

export const simulatorKeySchema = z
  .object({
    key: z.string().min(1),
    /** Bedrock: the secret access key that goes with `key` (the access key id); SigV4 signatures are checked when set. */
    secret: z.string().min(1).optional(),
    /** Bedrock: `key` is an Amazon Bedrock API key, accepted as `Authorization: Bearer` (and not as an access key id). */
    bearer: z.boolean().default(false),
    limits: simulatorLimitsSchema.default({}),
  })
  .strict()
  .refine((entry) => !(entry.bearer && entry.secret !== undefined), {
    message: 'a bearer key (an API key) has no secret; set either bearer or secret',
    path: ['secret'],
  });
export type SimulatorKey = z.infer<typeof simulatorKeySchema>;

/** Random faults, drawn from a PRNG seeded with `seed` so a run can be repeated exactly. */
export const simulatorFaultsSchema = z
  .object({
    seed: z.number().int().default(1),
    /** 529 overloaded_error. */
    overloadedRate: rate,
    /** 500 api_error. */
    serverErrorRate: rate,
    /** 429 rate_limit_error, regardless of the key's buckets. */
    rateLimitRate: rate,
    /** The socket is destroyed before any answer. */
    dropRate: rate,
    /** A stream is cut after some events (a non-streamed request is dropped). */
    cutStreamRate: rate,
    /** The answer waits `slowMs` more. */
    slowRate: rate,
    slowMs: nonNegative.default(5000),
    /** `retry-after` (seconds) of an injected 429. */
    rateLimitRetryAfterSeconds: positiveInt.default(1),
  })
  .strict()
  .refine(
    (faults) =>
      faults.overloadedRate + faults.serverErrorRate + faults.rateLimitRate + faults.dropRate + faults.cutStreamRate + faults.slowRate <= 1,
    { message: 'the fault rates add up to more than 1' },
  );
export type SimulatorFaults = z.infer<typeof simulatorFaultsSchema>;

/** The token endpoints: what they accept and how long what they issue lives (src/simulator/tokens.ts). */
export const simulatorTokensSchema = z
  .object({
    /** Seconds an issued access token (or AWS key set) lives. */
    lifetimeSeconds: z.number().positive().default(3600),
    /** Refresh tokens the OAuth token endpoint (`POST /v1/oauth/token`) accepts at first; each one it rotates. */
    oauthRefreshTokens: z.array(z.string().min(1)).default([]),
    /** Service accounts the Google token endpoint (`POST /token`) accepts: JWT assertions signed by their key. */
    googleServiceAccounts: z.array(z.object({ clientEmail: z.string().min(1), publicKey: z.string().min(1) }).strict()).default([]),
    /** Entra ID app registrations the Entra token endpoint (`POST /{tenant}/oauth2/v2.0/token`) accepts: client credentials. */
    entraClients: z
      .array(z.object({ tenantId: z.string().min(1), clientId: z.string().min(1), clientSecret: z.string().min(1) }).strict())
      .default([]),
    /** The App Service managed identity endpoint (`GET /msi/token`): the X-IDENTITY-HEADER it wants (none: any). */
    azureIdentityHeader: z.string().min(1).optional(),
    /** The container credentials endpoint (`GET /_aws/credentials`): the Authorization it wants (none: any). */
    awsContainerAuthorization: z.string().min(1).optional(),
  })
  .strict();

export const simulatorConfigSchema = z
  .object({
    /** Milliseconds before the response headers of an admitted request. */
    latencyMs: nonNegative.default(0),
    /** Milliseconds between two SSE text deltas. */
    streamChunkDelayMs: nonNegative.default(0),
    /** Words per SSE text delta. */
    streamChunkWords: positiveInt.default(3),
    keys: z.array(simulatorKeySchema).default([]),
    /** Accept any non-empty key not listed in `keys`, with `defaultLimits`. */
    acceptAnyKey: z.boolean().default(true),
    /** Limits of keys accepted through `acceptAnyKey` (none: unlimited). */
    defaultLimits: simulatorLimitsSchema.default({}),
    /** Bucket capacity in seconds of refill: capacity = perMinute / 60 × burstSeconds. */
    burstSeconds: z.number().positive().default(2),
    faults: simulatorFaultsSchema.prefault({}),
    /** Model names or globs (`claude-*`) the simulator serves; any model when left out. */
    models: z.array(z.string().min(1)).min(1).optional(),
    tokens: simulatorTokensSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.keys.forEach((entry, index) => {
      if (seen.has(entry.key)) {
        ctx.addIssue({ code: 'custom', message: 'duplicate key', path: ['keys', index, 'key'] });
      }
      seen.add(entry.key);
    });
  });

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;
export type SimulatorConfigInput = z.input<typeof simulatorConfigSchema>;

/** Parses a simulator config, throwing an error that names every wrong field. */
export function parseSimulatorConfig(input: unknown, source = 'simulator config'): SimulatorConfig {
  const result = simulatorConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `  ${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
  );
  throw new Error(`${source} is not valid:\n${problems.join('\n')}`);
}

/** Reads a simulator config file: JSON when it ends in .json, YAML otherwise (YAML reads JSON too). */
export async function loadSimulatorConfigFile(path: string): Promise<SimulatorConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read simulator config ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(`simulator config ${path} is not valid YAML/JSON: ${(error as Error).message}`);
  }
  return parseSimulatorConfig(data, `simulator config ${path}`);
}

/** Compiles model names/globs (`*` any run of characters, `?` one) into one predicate. */
export function modelMatcher(models: readonly string[] | undefined): (model: string) => boolean {
  if (models === undefined) return () => true;
  const exact = new Set(models.filter((model) => !/[*?]/.test(model)));
  const patterns = models
    .filter((model) => /[*?]/.test(model))
    .map((glob) => {
      const source = glob
        .split('')
        .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('');
      return new RegExp(`^${source}$`);
    });
  return (model) => exact.has(model) || patterns.some((pattern) => pattern.test(model));
}
