/**
 * One input line → a prompt job's request, or what is wrong with the line. A line format (relayq's
 * own, Anthropic Message Batches, OpenAI Batch, ...) reads the line's fields; the checks that
 * follow are shared: the model, the provider (the line's, else the routing rules, else the model
 * family), and the body against the provider's schema or, for OpenAI Chat Completions bodies
 * bound for another provider, against the translation.
 *
 * Adding a line format: write a `LineFormat` (in src/ingest/formats/) and list it in
 * `lineFormats`. Adding a provider's body check: one line in `bodySchemas`.
 */
import { z } from 'zod';
import { formatIssues } from '../config/load.ts';
import { providerNameSchema, type ProviderName } from '../config/schema.ts';
import { routeModel, type RoutingRule } from '../accounts/routing.ts';
import { geminiEmbedEndpoint, geminiRequestSchema, isGeminiEmbedBody } from '../providers/gemini/request-schema.ts';
import { bedrockRequestBodySchema } from '../providers/bedrock/request-schema.ts';
import { openaiRequestBodySchema } from '../providers/openai/request-schema.ts';
import { azureOpenAIRequestBodySchema } from '../providers/azure-openai/request-schema.ts';
import { openAiChatBodySchema } from '../translate/openai-chat/schema.ts';
import { speaksOpenAiChat, translateChatBody } from '../translate/openai-chat/translate.ts';
import { TranslationError } from '../translate/translation.ts';

/** The shape of a request body: the provider's own, or OpenAI Chat Completions (translated for other providers). */
export type RequestFormat = 'native' | 'openai-chat';

/** A valid input line, ready to become a prompt job. */
export interface ParsedLine {
  customId: string;
  provider: ProviderName;
  model: string;
  body: Record<string, unknown>;
  stream: boolean;
  /** `native`: the body is in the provider's own format; `openai-chat`: OpenAI Chat Completions, translated. */
  format: RequestFormat;
  /** The API path for providers with several (OpenAI's chat, responses, embeddings; Gemini's `:embedContent`). */
  endpoint?: string;
}
export type LineResult = { ok: true; value: ParsedLine } | { ok: false; customId: string | null; error: string };

export interface ParseLineOptions {
  /** The config's routing rules: which provider serves a model the line does not assign. */
  routing?: readonly RoutingRule[];
}

/** What a line format reads from a line, before the shared checks. */
export interface LineRequest {
  customId: string;
  /** The provider the line names. */
  provider?: ProviderName;
  /**
   * The providers that take this body as it is, the usual one first; routing chooses among
   * them, and a model routed elsewhere goes to the first. Left out: any provider.
   */
  providers?: readonly ProviderName[];
  model?: string;
  body: Record<string, unknown>;
  stream?: boolean;
  format: RequestFormat;
  endpoint?: string;
}

export interface LineFormat {
  /** How a person would name a line of this format ("an OpenAI batch line"). */
  name: string;
  /** The keys that identify it, for the "unknown line format" message: `{"custom_id", "params"}`. */
  shape: string;
  /** Whether a line is in this format; the first format in `lineFormats` that claims a line reads it. */
  claims(line: Record<string, unknown>): boolean;
  /** The line's id, also for a line that turns out bad; null when it has none. */
  customIdOf(line: Record<string, unknown>): string | null;
  /** Reads a claimed line: its request, or what is wrong with it. */
  read(line: Record<string, unknown>): LineRequest | string;
}

const customIdSchema = z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters');

const customIdField = (line: Record<string, unknown>): string | null =>
  typeof line.custom_id === 'string' && line.custom_id !== '' ? line.custom_id : null;

/** relayq's own line format. */
const nativeLineSchema = z
  .object({
    custom_id: customIdSchema,
    provider: providerNameSchema.optional(),
    model: z.string().min(1).optional(),
    stream: z.boolean().optional(),
    format: z.enum(['native', 'openai-chat']).optional(),
    endpoint: z
      .string()
      .regex(/^(\/v1\/|:embedContent$)/, 'must be an API path such as /v1/responses, or :embedContent (Gemini)')
      .optional(),
    body: z.record(z.string(), z.unknown()),
  })
  .strict();

const nativeLineFormat: LineFormat = {
  name: 'line',
  shape: '{"custom_id", "body"}',
  claims: (line) => 'body' in line,
  customIdOf: customIdField,
  read(line) {
    if (line.custom_id === undefined) return 'missing custom_id';
    const parsed = nativeLineSchema.safeParse(line);
    if (!parsed.success) return `not a valid line:\n${formatIssues(parsed.error.issues)}`;
    const { data } = parsed;
    return {
      customId: data.custom_id,
      provider: data.provider,
      model: data.model,
      body: data.body,
      stream: data.stream,
      format: data.format ?? 'native',
      endpoint: data.endpoint,
    };
  },
};

/** A line of an Anthropic Message Batches request file. */
const anthropicBatchLineSchema = z
  .object({
    custom_id: customIdSchema,
    params: z.record(z.string(), z.unknown()),
  })
  .strict();

const anthropicBatchLineFormat: LineFormat = {
  name: 'Anthropic batch line',
  shape: '{"custom_id", "params"}',
  claims: (line) => 'params' in line,
  customIdOf: customIdField,
  read(line) {
    if (line.custom_id === undefined) return 'missing custom_id';
    const parsed = anthropicBatchLineSchema.safeParse(line);
    if (!parsed.success) return `not a valid Anthropic batch line:\n${formatIssues(parsed.error.issues)}`;
    return { customId: parsed.data.custom_id, providers: ['anthropic', 'bedrock'], body: parsed.data.params, format: 'native' };
  },
};

/** The OpenAI Batch API's request paths relayq runs. */
const openAiBatchUrls = ['/v1/chat/completions', '/v1/responses', '/v1/embeddings'] as const;

/** A line of an OpenAI Batch input file. */
const openAiBatchLineSchema = z
  .object({
    custom_id: customIdSchema,
    method: z.literal('POST', 'must be "POST"'),
    url: z.enum(openAiBatchUrls, `must be one of ${openAiBatchUrls.join(', ')}`),
    body: z.record(z.string(), z.unknown()),
  })
  .strict();

const openAiBatchLineFormat: LineFormat = {
  name: 'OpenAI batch line',
  shape: '{"custom_id", "method", "url", "body"}',
  claims: (line) => 'url' in line || 'method' in line,
  customIdOf: customIdField,
  read(line) {
    if (line.custom_id === undefined) return 'missing custom_id';
    const parsed = openAiBatchLineSchema.safeParse(line);
    if (!parsed.success) return `not a valid OpenAI batch line:\n${formatIssues(parsed.error.issues)}`;
    const { custom_id: customId, url, body } = parsed.data;
    // Chat Completions runs anywhere (translated); Responses and Embeddings only where they exist.
    if (url === '/v1/chat/completions') return { customId, body, format: 'openai-chat', endpoint: url };
    return { customId, providers: ['openai', 'azure-openai'], body, format: 'native', endpoint: url };
  },
};

/** Line formats in the order they are tried. */
export const lineFormats: readonly LineFormat[] = [openAiBatchLineFormat, anthropicBatchLineFormat, nativeLineFormat];

/** The parts of an Anthropic Messages body that must hold before it is worth sending. */
const anthropicBodySchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.unknown() })).min(1),
});

/** Native bodies, per provider. */
const bodySchemas: Partial<Record<ProviderName, z.ZodType>> = {
  anthropic: anthropicBodySchema,
  gemini: geminiRequestSchema,
  bedrock: bedrockRequestBodySchema,
  openai: openaiRequestBodySchema,
  'azure-openai': azureOpenAIRequestBodySchema,
};

/** Native bodies of the OpenAI endpoints that are not Chat Completions, per API path. */
const endpointBodySchemas: Readonly<Record<string, z.ZodType>> = {
  '/v1/responses': z.looseObject({ model: z.string().min(1), input: z.union([z.string(), z.array(z.unknown())]) }),
  '/v1/embeddings': z.looseObject({ model: z.string().min(1), input: z.union([z.string(), z.array(z.unknown())]) }),
};

/** Parses and validates one input line. Errors are phrased for a person reading a line report. */
export function parseLine(text: string, options: ParseLineOptions = {}): LineResult {
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
  const format = lineFormats.find((candidate) => candidate.claims(object));
  if (format === undefined) {
    const error = `unknown line format: expected ${lineFormats.map((candidate) => candidate.shape).join(' or ')}`;
    return { ok: false, customId: customIdField(object), error };
  }
  const customId = format.customIdOf(object);
  const read = format.read(object);
  if (typeof read === 'string') return { ok: false, customId, error: read };
  const checked = checkRequest(read, options);
  return typeof checked === 'string' ? { ok: false, customId, error: checked } : { ok: true, value: checked };
}

/** The checks every line format shares: model, provider, endpoint, body. */
function checkRequest(request: LineRequest, options: ParseLineOptions): ParsedLine | string {
  let body = request.body;
  let stream = request.stream ?? false;
  if ('stream' in body) {
    stream = body.stream === true || stream;
    body = { ...body };
    delete body.stream;
  }
  const model = request.model ?? (typeof body.model === 'string' ? body.model : undefined);
  if (!model) return 'no model: set "model" on the line or in the body';
  if (typeof body.model !== 'string') body = { ...body, model };

  const provider = request.provider ?? chooseProvider(model, request.providers, options.routing);
  if (!provider) {
    return `cannot tell which provider serves model "${model}": set "provider" on the line, or add a routing rule to the config`;
  }
  if (request.providers !== undefined && !request.providers.includes(provider)) {
    return `a ${request.endpoint ?? 'body'} request runs on ${request.providers.join(' or ')}, not on ${provider}`;
  }
  let { endpoint } = request;
  // Gemini embeddings: `:embedContent`, named on the line or told by the body (`content`, no `contents`).
  const geminiEmbed = provider === 'gemini' && request.format === 'native' && (endpoint === geminiEmbedEndpoint || isGeminiEmbedBody(body));
  if (geminiEmbed) {
    if (!isGeminiEmbedBody(body)) return `a ${geminiEmbedEndpoint} request needs a body with "content" (an EmbedContentRequest)`;
    endpoint = geminiEmbedEndpoint;
  } else if (endpoint === geminiEmbedEndpoint) {
    return `"endpoint": "${geminiEmbedEndpoint}" applies to gemini requests only, not to ${provider}`;
  }
  if (endpoint !== undefined && request.format === 'native' && !speaksOpenAiChat(provider) && !geminiEmbed) {
    return `"endpoint" applies to openai and azure-openai requests only, not to ${provider}`;
  }

  const parsed: ParsedLine = { customId: request.customId, provider, model, body, stream, format: request.format };
  // The endpoint says which OpenAI API to call, or that a Gemini request is an embedding.
  if (endpoint !== undefined && (speaksOpenAiChat(provider) || geminiEmbed)) parsed.endpoint = endpoint;

  if (request.format === 'openai-chat') {
    const chat = openAiChatBodySchema.safeParse(body);
    if (!chat.success) return `invalid OpenAI Chat Completions body:\n${formatIssues(prefixed(chat.error.issues))}`;
    if (speaksOpenAiChat(provider)) return parsed;
    // Translate once here too, so a body with no translation is rejected with its line number.
    try {
      translateChatBody(chat.data, provider, model);
    } catch (error) {
      if (error instanceof TranslationError) return `cannot translate the body to ${provider}: ${error.message}`;
      throw error;
    }
    return parsed;
  }

  const schema = (endpoint === undefined ? undefined : endpointBodySchemas[endpoint]) ?? bodySchemas[provider];
  if (!schema) return `provider "${provider}" is not supported yet`;
  const checked = schema.safeParse(body);
  if (!checked.success) return `invalid ${provider} request body:\n${formatIssues(prefixed(checked.error.issues))}`;
  return parsed;
}

/** The routed provider when the body can go there, else the body's usual provider. */
function chooseProvider(
  model: string,
  allowed: readonly ProviderName[] | undefined,
  routing: readonly RoutingRule[] | undefined,
): ProviderName | undefined {
  const routed = routeModel(model, routing);
  if (allowed === undefined) return routed;
  return routed !== undefined && allowed.includes(routed) ? routed : allowed[0];
}

function prefixed(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.map((issue) => ({ ...issue, path: ['body', ...issue.path] }));
}
