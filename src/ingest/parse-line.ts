/**
 * One input line → a prompt job's request, or what is wrong with the line. A line format (relayq's
 * own, Anthropic Message Batches, OpenAI Batch, Gemini Batch; src/ingest/formats/) reads the
 * line's fields; the checks that follow are shared and ask the provider modules: the model, the
 * provider (the line's, else the routing rules, else the model family), the endpoint, and the
 * body against the provider's schema or, for OpenAI Chat Completions bodies bound for a provider
 * of another dialect, against the translation.
 *
 * Adding a line format: a `LineFormat` in src/ingest/formats/, listed in detect.ts. A provider's
 * body checks are its module's `requests`.
 */
import type { z } from 'zod';
import type { BatchDefaults } from '../batches/batch-store.ts';
import { routeModel, type RoutingRule } from '../accounts/routing.ts';
import { defaultIngestLimits, type IngestLimits } from '../config/schema.ts';
import { formatIssues } from '../lib/zod-issues.ts';
import { truncateText } from '../lib/terminal-text.ts';
import { providerModule, providers, type ProviderName } from '../providers/index.ts';
import { openAiChatBodySchema } from '../translate/openai-chat/schema.ts';
import { translateChatBody } from '../translate/openai-chat/translate.ts';
import { TranslationError } from '../translate/translation.ts';
import { detectLineFormat, unknownLineFormatMessage } from './formats/detect.ts';
import { exceedsDepth } from './json-depth.ts';
import { customIdField, type LineFormat, type LineRequest, type RequestFormat } from './formats/line-format.ts';

export type { LineFormat, LineRequest, RequestFormat } from './formats/line-format.ts';

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
  /** The batch's defaults a line format applies itself (the model of Gemini batch lines). */
  defaults?: BatchDefaults;
  /** The file's format, for a line no format claims (so its report says what the line lacks). */
  fileFormat?: LineFormat | null;
  /** JSON nesting depth and custom_id length a line may have (the config's `ingest`; its defaults when left out). */
  limits?: Partial<Pick<IngestLimits, 'maxDepth' | 'maxCustomIdLength'>>;
}

/** Parses and validates one input line. Errors are phrased for a person reading a line report. */
export function parseLine(text: string, options: ParseLineOptions = {}): LineResult {
  const json = parseJsonLine(text, options.limits?.maxDepth);
  return 'error' in json ? { ok: false, customId: null, error: json.error } : parseLineObject(json.object, options);
}

/**
 * A line's JSON object, or why it is not one. The nesting depth is checked first (by a scan of
 * the text), so a line nested thousands of levels deep never reaches the recursive steps.
 */
export function parseJsonLine(
  text: string,
  maxDepth = defaultIngestLimits.maxDepth,
): { object: Record<string, unknown> } | { error: string } {
  if (exceedsDepth(text, maxDepth)) return { error: `JSON nested deeper than ${maxDepth} levels (ingest.maxDepth in the config)` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { error: `invalid JSON: ${truncateText((error as Error).message, 200)}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { error: 'a line must be a JSON object' };
  return { object: json as Record<string, unknown> };
}

/** parseLine for a line already read as JSON. */
export function parseLineObject(object: Record<string, unknown>, options: ParseLineOptions = {}): LineResult {
  const format = detectLineFormat(object) ?? options.fileFormat ?? undefined;
  if (format === undefined) return { ok: false, customId: customIdField(object), error: unknownLineFormatMessage() };
  const customId = format.customIdOf(object);
  const maxCustomIdLength = options.limits?.maxCustomIdLength ?? defaultIngestLimits.maxCustomIdLength;
  if (customId !== null && customId.length > maxCustomIdLength) {
    const field = format.id === 'gemini-batch' ? 'key' : 'custom_id';
    return {
      ok: false,
      customId,
      error: `${field} is ${customId.length} characters; at most ${maxCustomIdLength} are allowed (ingest.maxCustomIdLength in the config)`,
    };
  }
  const read = format.read(object, options.defaults ?? {});
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
  if (request.endpoint !== undefined && endpointOwners(request.endpoint).length === 0) return unknownEndpointMessage(request.endpoint);
  const module = providerModule(provider);
  const parsed: ParsedLine = { customId: request.customId, provider, model, body, stream, format: request.format };

  if (request.format === 'openai-chat') {
    const chat = openAiChatBodySchema.safeParse(body);
    if (!chat.success) return `invalid OpenAI Chat Completions body:\n${formatIssues(prefixed(chat.error.issues))}`;
    // OpenAI's dialect takes the body as it is, at the line's API path.
    if (module.dialect === 'openai') {
      if (request.endpoint !== undefined) parsed.endpoint = request.endpoint;
      return parsed;
    }
    // Translate once here too, so a body with no translation is rejected with its line number.
    try {
      translateChatBody(chat.data, provider, model);
    } catch (error) {
      if (error instanceof TranslationError) return `cannot translate the body to ${module.id}: ${error.message}`;
      throw error;
    }
    return parsed;
  }

  // The endpoint: the line's, else the one the body tells (a Gemini EmbedContentRequest), else none.
  const endpoint = request.endpoint ?? module.requests.endpointFor?.(body);
  let schema = module.requests.body;
  if (endpoint !== undefined) {
    const endpointSchema = module.requests.endpoints?.[endpoint];
    if (endpointSchema === undefined) {
      return `"endpoint" applies to ${endpointOwners(endpoint).join(' and ')} requests only, not to ${module.id} (the line names ${endpoint})`;
    }
    schema = endpointSchema;
    parsed.endpoint = endpoint;
  }
  const checked = schema.safeParse(body);
  if (!checked.success) return `invalid ${module.id} request body:\n${formatIssues(prefixed(checked.error.issues))}`;
  return parsed;
}

/** Every API path a line may name in `endpoint`, with the providers that take it. */
const endpointProviders = new Map<string, ProviderName[]>();
for (const provider of providers) {
  for (const path of Object.keys(provider.requests.endpoints ?? {}))
    endpointProviders.set(path, [...(endpointProviders.get(path) ?? []), provider.id]);
}

/** The providers that take an API path as a line's `endpoint`. */
function endpointOwners(endpoint: string): readonly ProviderName[] {
  return endpointProviders.get(endpoint) ?? [];
}

function unknownEndpointMessage(endpoint: string): string {
  const listed = [...endpointProviders].map(([path, owners]) => `${path} (${owners.join(', ')})`).join(', ');
  return `"endpoint": "${endpoint}" is not an API path relayq sends to; it knows ${listed}`;
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
