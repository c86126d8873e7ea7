import { z } from 'zod';
import { formatIssues } from '../config/load.ts';
import { providerNameSchema, type ProviderName } from '../config/schema.ts';
import { providerForModel } from '../accounts/routing.ts';

/** A valid input line, ready to become a prompt job. */
export interface ParsedLine {
  customId: string;
  provider: ProviderName;
  model: string;
  body: Record<string, unknown>;
  stream: boolean;
  /** `native`: the body is in the provider's own format; `openai-chat`: OpenAI Chat Completions, translated. */
  format: 'native' | 'openai-chat';
  /** The API path for providers with several (OpenAI's chat, responses, embeddings). */
  endpoint?: string;
}

export type LineResult = { ok: true; value: ParsedLine } | { ok: false; customId: string | null; error: string };

const customIdSchema = z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters');

/** relayq's own line format. */
const nativeLineSchema = z
  .object({
    custom_id: customIdSchema,
    provider: providerNameSchema.optional(),
    model: z.string().min(1).optional(),
    stream: z.boolean().optional(),
    body: z.record(z.string(), z.unknown()),
  })
  .strict();

/** A line of an Anthropic Message Batches request file. */
const anthropicBatchLineSchema = z
  .object({
    custom_id: customIdSchema,
    params: z.record(z.string(), z.unknown()),
  })
  .strict();

/** The parts of an Anthropic Messages body that must hold before it is worth sending. */
const anthropicBodySchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.unknown() })).min(1),
});

const bodySchemas: Partial<Record<ProviderName, z.ZodType>> = {
  anthropic: anthropicBodySchema,
};

/** Parses and validates one input line. Errors are phrased for a person reading a line report. */
export function parseLine(text: string): LineResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, customId: null, error: `invalid JSON: ${(error as Error).message}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, customId: null, error: 'a line must be a JSON object' };
  }
  const object = json as Record<string, unknown>;
  const customId = typeof object.custom_id === 'string' && object.custom_id !== '' ? object.custom_id : null;
  const fail = (error: string): LineResult => ({ ok: false, customId, error });
  if (object.custom_id === undefined) return fail('missing custom_id');

  let provider: ProviderName | undefined;
  let model: string | undefined;
  let body: Record<string, unknown>;
  let stream = false;
  if ('params' in object) {
    const parsed = anthropicBatchLineSchema.safeParse(object);
    if (!parsed.success) return fail(`not a valid Anthropic batch line:\n${formatIssues(parsed.error.issues)}`);
    provider = 'anthropic';
    body = parsed.data.params;
  } else if ('body' in object) {
    const parsed = nativeLineSchema.safeParse(object);
    if (!parsed.success) return fail(`not a valid line:\n${formatIssues(parsed.error.issues)}`);
    provider = parsed.data.provider;
    model = parsed.data.model;
    body = parsed.data.body;
    stream = parsed.data.stream ?? false;
  } else {
    return fail('unknown line format: expected {"custom_id", "body"} or {"custom_id", "params"}');
  }

  if ('stream' in body) {
    stream = body.stream === true || stream;
    body = { ...body };
    delete body.stream;
  }
  model ??= typeof body.model === 'string' ? body.model : undefined;
  if (!model) return fail('no model: set "model" on the line or in the body');
  if (typeof body.model !== 'string') body = { ...body, model };
  provider ??= providerForModel(model);
  if (!provider) return fail(`cannot tell which provider serves model "${model}": set "provider" on the line`);

  const schema = bodySchemas[provider];
  if (!schema) return fail(`provider "${provider}" is not supported yet`);
  const checked = schema.safeParse(body);
  if (!checked.success) return fail(`invalid ${provider} request body:\n${formatIssues(prefixed(checked.error.issues))}`);
  return { ok: true, value: { customId: customId as string, provider, model, body, stream, format: 'native' } };
}

function prefixed(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.map((issue) => ({ ...issue, path: ['body', ...issue.path] }));
}
