/**
 * The account config fields every provider shares (id, credentials, limits, timeouts, ...), and
 * `defineAccountSchema`, which builds one provider's account schema from them and the provider's
 * own fields. src/config/schema.ts joins the providers' schemas into one discriminated union on
 * `provider`, so a field of another provider is an error that names the field.
 */
import { z } from 'zod';
import { proxyUrlSchema } from '../../http/proxy-url.ts';

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
    /**
     * Seconds of the per-minute limits relayq may send at once before the provider's rate-limit
     * headers tell how much its buckets hold (from then on it spends what they report). 1 when
     * left out; 60 for a provider that starts every key with a full minute.
     */
    burst: z.number().positive().max(60).optional(),
    /**
     * The fraction of each per-minute limit (configured or announced by the provider) relayq may
     * use, so interactive traffic on the same key keeps the rest: 0.8 leaves a fifth. 1 when left out.
     */
    share: z.number().positive().max(1).optional(),
  })
  .strict();
export type AccountLimits = z.infer<typeof accountLimitsSchema>;

/** The fields of every account, whatever its provider (`provider` itself aside). */
export const sharedAccountFields = {
  id: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.-]+$/, 'may use letters, digits, "_", "." and "-" only'),
  /** Overrides the provider's public API origin (a gateway, a simulator, a regional endpoint). */
  baseUrl: z.url().optional(),
  /** An API key (`x-api-key` for Anthropic, `Authorization: Bearer` for OpenAI and for Bedrock's API keys, ...). */
  apiKey: z.string().min(1).optional(),
  /** An OAuth access token, sent as `Authorization: Bearer`. */
  authToken: z.string().min(1).optional(),
  /**
   * The account's proxy (http://, https://, socks5://, socks5h://), or `none` for direct
   * connections whatever HTTPS_PROXY / HTTP_PROXY say; left out, the environment's proxy is used.
   */
  proxy: proxyUrlSchema.optional(),
  /** Model names or globs (`claude-*`) this account serves; all models when left out. */
  models: z.array(z.string().min(1)).optional(),
  limits: accountLimitsSchema.default({}),
  priority: z.number().int().default(0),
  weight: z.number().positive().default(1),
  enabled: z.boolean().default(true),
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
};

/** Which providers' accounts take a field of their own (filled as the providers define their schemas). */
const ownersOfField = new Map<string, string[]>();

/**
 * One provider's account schema: the shared fields, `provider: <id>`, and the provider's own
 * fields. Strict: a field it does not take is an error naming the field, the provider, and the
 * providers whose accounts take it.
 */
export function defineAccountSchema<Id extends string, Own extends z.core.$ZodShape>(id: Id, own: Own) {
  for (const field of Object.keys(own)) ownersOfField.set(field, [...(ownersOfField.get(field) ?? []), id]);
  return z.strictObject(
    { provider: z.literal(id), ...sharedAccountFields, ...own },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? unknownFieldsMessage(id, issue.keys) : undefined) },
  );
}

function unknownFieldsMessage(provider: string, keys: readonly string[]): string {
  return keys
    .map((key) => {
      const owners = ownersOfField.get(key);
      const where = owners === undefined ? '' : ` (it is a field of ${owners.join(' and ')} accounts)`;
      return `"${key}" is not a field of ${provider} accounts${where}`;
    })
    .join('; ');
}
