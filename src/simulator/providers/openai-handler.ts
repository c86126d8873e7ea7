/**
 * One request to an OpenAI-format endpoint (OpenAI's or Azure's, Chat Completions or Responses):
 * auth, validation, directives, faults, the key's buckets, latency, then the answer as JSON or as
 * a stream. Shared by providers/openai.ts and providers/azure-openai.ts, which only say which
 * flavor and endpoint a path is.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { composeAnswer, simulatedAnswer } from '../answer.ts';
import type { KeyLimiter, LimitDimension } from '../buckets.ts';
import { DirectiveError, parseDirectives, type Directives } from '../directives.ts';
import type { Exchange } from '../exchange.ts';
import type { ExchangeHandler, SimulatorRuntime } from '../runtime.ts';
import {
  addOpenAIRateLimitHeaders,
  addRetryAfterHeaders,
  authError,
  faultError,
  invalidRequestError,
  modelNotFoundError,
  notFoundError,
  overloadedError,
  rateLimitError,
  sendOpenAIError,
  type OpenAIErrorAnswer,
  type OpenAIFlavor,
} from './openai-errors.ts';
import { isRequestProblem, validateOpenAIBody, type OpenAIEndpointKind, type OpenAIRequest } from './openai-request.ts';
import { embeddingsJson } from './openai-embeddings.ts';
import { chatCompletionJson, responseJson, streamChatCompletion, streamResponse, type AnswerParts } from './openai-response.ts';

/** What a path means: whose API, which endpoint, and for Azure the route's deployment and api-version rule. */
export interface OpenAITarget {
  flavor: OpenAIFlavor;
  endpoint: OpenAIEndpointKind;
  /** Azure's deployment paths name the model; other paths take `model` from the body. */
  deployment?: string;
  /** Azure's dated routes answer 404 without `?api-version=`. */
  requiresApiVersion: boolean;
}

/** OpenAI: `authorization: Bearer`. Azure: `api-key`, else `authorization: Bearer` (Entra ID). */
function apiKeyOf(headers: IncomingHttpHeaders, flavor: OpenAIFlavor): string | undefined {
  if (flavor === 'azure-openai') {
    const apiKey = headers['api-key'];
    if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  }
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.length > 7 && /^bearer /i.test(authorization)) {
    const token = authorization.slice(7).trim();
    if (token !== '') return token;
  }
  return undefined;
}

const dimensionWords: Readonly<Record<LimitDimension, string>> = {
  requests: 'requests per min (RPM)',
  'input-tokens': 'input tokens per min (TPM)',
  'output-tokens': 'output tokens per min (TPM)',
  concurrency: 'concurrent requests',
};

interface CheckedRequest {
  limiter: KeyLimiter;
  request: OpenAIRequest;
  directives: Directives;
}

function checkRequest(exchange: Exchange, runtime: SimulatorRuntime, target: OpenAITarget): CheckedRequest | undefined {
  const { req } = exchange;
  const { flavor } = target;
  const fail = (answer: OpenAIErrorAnswer, headers?: OutgoingHttpHeaders): undefined => {
    sendOpenAIError(exchange, flavor, answer, headers);
    return undefined;
  };
  if (req.method !== 'POST') {
    return fail({ ...invalidRequestError(`Method ${req.method ?? ''} not allowed; use POST`), status: 405 }, { allow: 'POST' });
  }
  if (target.requiresApiVersion && !hasApiVersion(req.url)) return fail(notFoundError(flavor, exchange.path));
  const key = apiKeyOf(req.headers, flavor);
  if (key === undefined) return fail(authError(flavor, true));
  const limiter = runtime.keys.limiterFor(key, Date.now());
  if (limiter === undefined) return fail(authError(flavor, false));
  exchange.key = key;
  if (exchange.bodyTooLarge) return fail({ ...invalidRequestError('Request too large.'), status: 413 });
  let parsed: unknown;
  try {
    parsed = JSON.parse(exchange.body.toString('utf8'));
  } catch {
    return fail(
      invalidRequestError(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP " +
          'library correctly. The OpenAI API expects a JSON payload.)',
      ),
    );
  }
  const request = validateOpenAIBody(parsed, target.endpoint, target.deployment);
  if (isRequestProblem(request)) return fail(invalidRequestError(request.message, request.param, request.code));
  if (!runtime.modelAllowed(request.model)) return fail(modelNotFoundError(flavor, request.model));
  let directives: Directives;
  try {
    directives = parseDirectives(request.promptText);
  } catch (error) {
    if (!(error instanceof DirectiveError)) throw error;
    return fail(invalidRequestError(error.message));
  }
  return { limiter, request, directives };
}

function hasApiVersion(url: string | undefined): boolean {
  const query = url?.indexOf('?') ?? -1;
  if (url === undefined || query < 0) return false;
  return (new URLSearchParams(url.slice(query + 1)).get('api-version') ?? '') !== '';
}

/** The handler for one target. */
export function openaiHandler(target: OpenAITarget): ExchangeHandler {
  return (exchange, runtime) => handle(exchange, runtime, target);
}

async function handle(exchange: Exchange, runtime: SimulatorRuntime, target: OpenAITarget): Promise<void> {
  const checked = checkRequest(exchange, runtime, target);
  if (checked === undefined) return;
  const { limiter, request } = checked;
  const { flavor } = target;
  const rateLimitHeaders = (headers: OutgoingHttpHeaders): OutgoingHttpHeaders => {
    const now = Date.now();
    if (limiter.limited) addOpenAIRateLimitHeaders(headers, flavor, limiter.snapshot(now), now);
    return headers;
  };

  // Faults answered with an error before admission: nothing is consumed.
  const fault = runtime.faults.pick(checked.directives.fault);
  if (fault === 'rate_limit') {
    runtime.stats.faultInjected(fault);
    const retryAfterMs = runtime.faults.rateLimitRetryAfterSeconds * 1000;
    const headers = rateLimitHeaders({});
    addRetryAfterHeaders(headers, flavor, retryAfterMs);
    sendOpenAIError(exchange, flavor, rateLimitError(flavor, 'Rate limit reached (simulated fault).', retryAfterMs), headers);
    return;
  }
  const errorFault = fault === undefined ? undefined : faultError(flavor, fault, request.model);
  if (fault !== undefined && errorFault !== undefined) {
    runtime.stats.faultInjected(fault);
    sendOpenAIError(exchange, flavor, errorFault, rateLimitHeaders({}));
    return;
  }

  const { inputTokens, maxOutputTokens } = request;
  const admission = limiter.admit(inputTokens, maxOutputTokens, Date.now());
  if (!admission.ok) {
    const headers = rateLimitHeaders({});
    addRetryAfterHeaders(headers, flavor, admission.retryAfterMs);
    const what =
      `Rate limit reached for ${request.model} on ${dimensionWords[admission.dimension]}: ` +
      `Limit ${admission.limit}.`;
    sendOpenAIError(exchange, flavor, rateLimitError(flavor, what, admission.retryAfterMs), headers);
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
  if (fault === 'drop' || (fault === 'cut-stream' && !request.stream)) {
    exchange.drop('dropped');
    return;
  }
  if (fault === 'stream-error' && !request.stream) {
    sendOpenAIError(exchange, flavor, overloadedError(flavor));
    return;
  }

  if (target.endpoint === 'embeddings') {
    const headers = rateLimitHeaders({ 'content-type': 'application/json', 'x-request-id': exchange.requestId });
    if (flavor === 'azure-openai') headers['apim-request-id'] = exchange.requestId;
    exchange.send(200, headers, embeddingsJson(request), 'succeeded');
    return;
  }
  const answer = composeAnswer(simulatedAnswer(request.promptText), maxOutputTokens, request.stopSequences);
  const parts: AnswerParts = {
    id: runtime.newId(target.endpoint === 'chat' ? 'chatcmpl' : 'resp'),
    itemId: runtime.newId('msg'),
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    request,
    answer,
  };
  const headers = rateLimitHeaders({});
  if (flavor === 'azure-openai') headers['apim-request-id'] = exchange.requestId;
  if (request.stream) {
    const ending = fault === 'cut-stream' ? 'cut' : fault === 'stream-error' ? 'error' : 'complete';
    const stream = target.endpoint === 'chat' ? streamChatCompletion : streamResponse;
    await stream(exchange, runtime, parts, headers, ending);
    return;
  }
  exchange.outputTokens = answer.outputTokens;
  headers['content-type'] = 'application/json';
  headers['x-request-id'] = exchange.requestId;
  exchange.send(200, headers, target.endpoint === 'chat' ? chatCompletionJson(parts) : responseJson(parts), 'succeeded');
}
