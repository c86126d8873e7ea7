/**
 * The Gemini API: `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent` and
 * `:embedContent` (also under `/v1`), and the Vertex AI publisher paths
 * `/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:...`, with Google's auth
 * (`x-goog-api-key`, `?key=`, or `authorization: Bearer`), validation, errors and quota 429s.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { composeAnswer, simulatedAnswer } from '../answer.ts';
import type { KeyLimiter, LimitDimension } from '../buckets.ts';
import { DirectiveError, parseDirectives, type Directives } from '../directives.ts';
import type { Exchange } from '../exchange.ts';
import type { FaultKind } from '../faults.ts';
import type { ExchangeHandler, SimulatedProvider, SimulatorRuntime } from '../runtime.ts';
import {
  geminiInputTokensOf,
  geminiPromptTextOf,
  validateGenerateContentBody,
} from './gemini-request.ts';
import { embedContentJson, validateEmbedContentBody, type GeminiEmbedRequest } from './gemini-embed.ts';
import {
  generateContentJson,
  googleJson,
  quotaDetails,
  quotaMessage,
  sendGoogleError,
  streamGenerateContent,
  type GoogleRpcStatus,
} from './gemini-response.ts';

/**
 * `/{version}/[projects/{p}/locations/{l}/publishers/google/]models/{model}:{method}`:
 * group 1 the Vertex prefix (when present), 2 the model, 3 the method.
 */
const pathPattern =
  /^\/v1(?:beta1?)?\/(projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/)?models\/([^/:]+):(generateContent|streamGenerateContent|embedContent)$/;

/** Gemini's default output limit when a request sets no maxOutputTokens (reserved in the buckets). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 8192;

/** The context window the simulated "too_large" fault claims to have exceeded. */
const CONTEXT_WINDOW_TOKENS = 1_048_576;

export const geminiProvider: SimulatedProvider = {
  name: 'gemini',
  route(path) {
    return path.startsWith('/v1') && path.includes(':') && pathPattern.test(path) ? handleGenerateContent : undefined;
  },
  notFound(exchange) {
    sendGoogleError(exchange, 'NOT_FOUND', `The requested URL ${exchange.path} was not found on this server.`);
  },
  internalError(exchange, message) {
    sendGoogleError(exchange, 'INTERNAL', message);
  },
};

type Credential = { kind: 'api-key' | 'bearer'; value: string };

/** `x-goog-api-key`, else a `key` query parameter, else `authorization: Bearer`. */
function credentialOf(headers: IncomingHttpHeaders, url: string): Credential | undefined {
  const apiKey = headers['x-goog-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return { kind: 'api-key', value: apiKey };
  const query = url.indexOf('?');
  if (query >= 0) {
    const key = new URLSearchParams(url.slice(query + 1)).get('key');
    if (key !== null && key !== '') return { kind: 'api-key', value: key };
  }
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.length > 7 && /^bearer /i.test(authorization)) {
    const token = authorization.slice(7).trim();
    if (token !== '') return { kind: 'bearer', value: token };
  }
  return undefined;
}

function queryParam(url: string, name: string): string | null {
  const query = url.indexOf('?');
  return query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get(name);
}

const apiKeyInvalidDetails = [
  {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'API_KEY_INVALID',
    domain: 'googleapis.com',
    metadata: { service: 'generativelanguage.googleapis.com' },
  },
  {
    '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
    locale: 'en-US',
    message: 'API key not valid. Please pass a valid API key.',
  },
];

const invalidTokenDetails = [
  {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED',
    metadata: { service: 'generativelanguage.googleapis.com' },
  },
];

/** Faults answered with an error before admission: nothing is consumed. */
const errorFaults: Partial<Record<FaultKind, [GoogleRpcStatus, string]>> = {
  overloaded: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  server: [
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  ],
  rate_limit: ['RESOURCE_EXHAUSTED', quotaMessage],
  invalid: ['INVALID_ARGUMENT', 'Request contains an invalid argument. (simulated fault)'],
  permission: ['PERMISSION_DENIED', 'The caller does not have permission (simulated fault)'],
  not_found: ['NOT_FOUND', 'Requested entity was not found. (simulated fault)'],
};

/** The quota a dimension stands for, as Google names quotas. */
const quotaIds: Readonly<Record<LimitDimension, string>> = {
  requests: 'GenerateRequestsPerMinutePerProjectPerModel',
  'input-tokens': 'GenerateContentInputTokensPerModelPerMinute',
  'output-tokens': 'GenerateContentOutputTokensPerModelPerMinute',
  concurrency: 'GenerateContentConcurrentRequestsPerModel',
};

interface CheckedRequest {
  limiter: KeyLimiter;
  model: string;
  stream: boolean;
  promptText: string;
  directives: Directives;
  inputTokens: number;
  maxOutputTokens: number;
  stopSequences: string[] | undefined;
  /** Set for `:embedContent`: what to embed (no output tokens). */
  embed: GeminiEmbedRequest | undefined;
}

/** The parts of a checked request that depend on the method: generateContent's or embedContent's. */
type MethodRequest = Pick<CheckedRequest, 'promptText' | 'inputTokens' | 'maxOutputTokens' | 'stopSequences' | 'embed'>;

function methodRequest(parsed: unknown, method: string | undefined): MethodRequest | string {
  if (method === 'embedContent') {
    const embed = validateEmbedContentBody(parsed);
    if (typeof embed === 'string') return embed;
    return { promptText: embed.text, inputTokens: embed.inputTokens, maxOutputTokens: 0, stopSequences: undefined, embed };
  }
  const body = validateGenerateContentBody(parsed);
  if (typeof body === 'string') return body;
  return {
    promptText: geminiPromptTextOf(body.contents),
    inputTokens: geminiInputTokensOf(body),
    maxOutputTokens: body.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    stopSequences: body.stopSequences,
    embed: undefined,
  };
}

function checkRequest(exchange: Exchange, runtime: SimulatorRuntime): CheckedRequest | undefined {
  const { req } = exchange;
  const match = pathPattern.exec(exchange.path);
  if (match === null) return undefined;
  const vertex = match[1] !== undefined;
  let model: string;
  try {
    model = decodeURIComponent(match[2] ?? '');
  } catch {
    model = match[2] ?? '';
  }
  if (req.method !== 'POST') {
    sendGoogleError(exchange, 'NOT_FOUND', `Method ${req.method ?? ''} not found; use POST`, { code: 405 });
    return undefined;
  }
  const credential = credentialOf(req.headers, req.url ?? '');
  if (credential === undefined) {
    if (vertex) {
      sendGoogleError(
        exchange,
        'UNAUTHENTICATED',
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other ' +
          'valid authentication credential.',
      );
    } else {
      sendGoogleError(
        exchange,
        'PERMISSION_DENIED',
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or " +
          'other form of API consumer identity to call this API.',
      );
    }
    return undefined;
  }
  const limiter = runtime.keys.limiterFor(credential.value, Date.now());
  if (limiter === undefined) {
    if (credential.kind === 'api-key') {
      sendGoogleError(exchange, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', {
        details: apiKeyInvalidDetails,
      });
    } else {
      sendGoogleError(
        exchange,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other ' +
          'valid authentication credential.',
        { details: invalidTokenDetails },
      );
    }
    return undefined;
  }
  exchange.key = credential.value;
  if (exchange.bodyTooLarge) {
    sendGoogleError(exchange, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit: 33554432 bytes.');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(exchange.body.toString('utf8'));
  } catch (error) {
    sendGoogleError(exchange, 'INVALID_ARGUMENT', `Invalid JSON payload received. ${(error as Error).message}`);
    return undefined;
  }
  const body = methodRequest(parsed, match[3]);
  if (typeof body === 'string') {
    sendGoogleError(exchange, 'INVALID_ARGUMENT', body);
    return undefined;
  }
  if (!runtime.modelAllowed(model)) {
    sendGoogleError(
      exchange,
      'NOT_FOUND',
      vertex
        ? `Publisher Model \`${match[1] ?? ''}models/${model}\` was not found or your project does not have access to it.`
        : `models/${model} is not found for API version v1beta, or is not supported for generateContent. ` +
            'Call ListModels to see the list of available models and their supported methods.',
    );
    return undefined;
  }
  const { promptText } = body;
  let directives: Directives;
  try {
    directives = parseDirectives(promptText);
  } catch (error) {
    if (!(error instanceof DirectiveError)) throw error;
    sendGoogleError(exchange, 'INVALID_ARGUMENT', error.message);
    return undefined;
  }
  return {
    limiter,
    model,
    stream: match[3] === 'streamGenerateContent',
    directives,
    ...body,
  };
}

const handleGenerateContent: ExchangeHandler = async (exchange, runtime) => {
  const checked = checkRequest(exchange, runtime);
  if (checked === undefined) return;
  const { limiter, model, inputTokens, maxOutputTokens, stream } = checked;

  const fault = runtime.faults.pick(checked.directives.fault);
  if (fault === 'too_large') {
    runtime.stats.faultInjected(fault);
    sendGoogleError(
      exchange,
      'INVALID_ARGUMENT',
      `The input token count (${inputTokens + CONTEXT_WINDOW_TOKENS}) exceeds the maximum number of tokens allowed ` +
        `(${CONTEXT_WINDOW_TOKENS}).`,
    );
    return;
  }
  const errorFault = fault === undefined ? undefined : errorFaults[fault];
  if (fault !== undefined && errorFault !== undefined) {
    runtime.stats.faultInjected(fault);
    const seconds = runtime.faults.rateLimitRetryAfterSeconds;
    sendGoogleError(exchange, errorFault[0], errorFault[1], {
      ...(fault === 'rate_limit' ? { details: quotaDetails(undefined, model, seconds) } : {}),
    });
    return;
  }

  const admission = limiter.admit(inputTokens, maxOutputTokens, Date.now());
  if (!admission.ok) {
    const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    sendGoogleError(exchange, 'RESOURCE_EXHAUSTED', quotaMessage, {
      details: quotaDetails({ quotaId: quotaIds[admission.dimension], value: admission.limit }, model, seconds),
    });
    return;
  }
  exchange.inputTokens = inputTokens;
  exchange.release = () => limiter.complete(maxOutputTokens, exchange.outputTokens, Date.now());
  // Counted once admitted: a fault that met a 429 first never happened.
  if (fault !== undefined) runtime.stats.faultInjected(fault);

  const delay = runtime.config.latencyMs + (fault === 'slow' ? runtime.faults.slowMs : 0);
  if (delay > 0) {
    await runtime.sleep(delay);
    if (exchange.gone) return;
  }
  if (fault === 'drop' || (fault === 'cut-stream' && !stream)) {
    exchange.drop('dropped');
    return;
  }
  if (fault === 'stream-error' && !stream) {
    sendGoogleError(exchange, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    return;
  }

  if (checked.embed !== undefined) {
    exchange.send(200, { 'content-type': googleJson }, embedContentJson(checked.embed), 'succeeded');
    return;
  }
  const answer = composeAnswer(simulatedAnswer(checked.promptText), maxOutputTokens, checked.stopSequences);
  const parts = { responseId: runtime.newId('resp'), model, inputTokens, answer };
  const headers: OutgoingHttpHeaders = {};
  if (stream) {
    const ending = fault === 'cut-stream' ? 'cut' : fault === 'stream-error' ? 'error' : 'complete';
    const sse = queryParam(exchange.req.url ?? '', 'alt') === 'sse';
    await streamGenerateContent(exchange, runtime, parts, headers, { sse, ending });
    return;
  }
  exchange.outputTokens = answer.outputTokens;
  headers['content-type'] = googleJson;
  exchange.send(200, headers, generateContentJson(parts), 'succeeded');
};
