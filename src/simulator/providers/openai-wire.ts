/**
 * The OpenAI wire format (OpenAI's and Azure's, Chat Completions, Responses and Embeddings) as
 * pipeline hooks: keys, validation, error bodies, `x-ratelimit-*` headers and answers. Used by
 * providers/openai.ts and providers/azure-openai.ts, which only say which flavor and endpoint a
 * path is.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { LimitDimension } from '../buckets.ts';
import { entraAccessTokenPrefix } from '../tokens.ts';
import { pipelineHandler, type WireFormat } from '../pipeline.ts';
import { bearerTokenOf, queryParam } from '../request-parts.ts';
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
  type OpenAIFlavor,
} from './openai-errors.ts';
import { validateOpenAIBody, type OpenAIEndpointKind, type OpenAIRequest } from './openai-request.ts';
import { embeddingsJson } from './openai-embeddings.ts';
import { openAIAnswerJson, streamOpenAIAnswer, type AnswerParts } from './openai-response.ts';

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
  return bearerTokenOf(headers);
}

const dimensionWords: Readonly<Record<LimitDimension, string>> = {
  requests: 'requests per min (RPM)',
  'input-tokens': 'input tokens per min (TPM)',
  'output-tokens': 'output tokens per min (TPM)',
  concurrency: 'concurrent requests',
};

const unparsableBody =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP " +
  'library correctly. The OpenAI API expects a JSON payload.)';

const openaiWire: WireFormat<OpenAITarget, OpenAIRequest> = {
  admitCaller(exchange, runtime, { flavor, requiresApiVersion }) {
    const { req } = exchange;
    if (requiresApiVersion && (queryParam(req.url, 'api-version') ?? '') === '') {
      sendOpenAIError(exchange, flavor, notFoundError(flavor, exchange.path));
      return undefined;
    }
    let key = apiKeyOf(req.headers, flavor);
    if (key?.startsWith(entraAccessTokenPrefix)) {
      // An Entra ID token of the simulator's token endpoint: good until it expires; limits per app.
      const checked = runtime.tokens.accessToken(key);
      key = checked.status === 'valid' ? checked.family : undefined;
    }
    const limiter = key === undefined ? undefined : runtime.keys.limiterFor(key, Date.now());
    if (limiter === undefined) {
      sendOpenAIError(exchange, flavor, authError(flavor, key === undefined));
      return undefined;
    }
    exchange.key = key;
    return limiter;
  },

  readBody: (body, target) => validateOpenAIBody(body, target.endpoint, target.deployment),

  refuse(exchange, refusal, { flavor }) {
    switch (refusal.kind) {
      case 'method-not-allowed': {
        const answer = { ...invalidRequestError(`Method ${exchange.req.method ?? ''} not allowed; use POST`), status: 405 };
        return sendOpenAIError(exchange, flavor, answer, { allow: 'POST' });
      }
      case 'body-too-large':
        return sendOpenAIError(exchange, flavor, { ...invalidRequestError('Request too large.'), status: 413 });
      case 'malformed-json':
        return sendOpenAIError(exchange, flavor, invalidRequestError(unparsableBody));
      case 'invalid-body': {
        const { message, param, code } = refusal.problem;
        return sendOpenAIError(exchange, flavor, invalidRequestError(message, param, code));
      }
      case 'model-not-served':
        return sendOpenAIError(exchange, flavor, modelNotFoundError(flavor, refusal.request.model));
      case 'bad-directive':
        return sendOpenAIError(exchange, flavor, invalidRequestError(refusal.message));
      case 'fault': {
        const { fault, headers } = refusal;
        if (fault !== 'rate_limit') return sendOpenAIError(exchange, flavor, faultError(flavor, fault, refusal.request.model), headers);
        const retryAfterMs = refusal.retryAfterSeconds * 1000;
        addRetryAfterHeaders(headers, flavor, retryAfterMs);
        return sendOpenAIError(exchange, flavor, rateLimitError(flavor, 'Rate limit reached (simulated fault).', retryAfterMs), headers);
      }
      case 'rate-limited': {
        const { admission, headers } = refusal;
        addRetryAfterHeaders(headers, flavor, admission.retryAfterMs);
        const what =
          `Rate limit reached for ${refusal.request.model} on ${dimensionWords[admission.dimension]}: ` + `Limit ${admission.limit}.`;
        return sendOpenAIError(exchange, flavor, rateLimitError(flavor, what, admission.retryAfterMs), headers);
      }
      case 'stream-error':
        return sendOpenAIError(exchange, flavor, overloadedError(flavor));
    }
  },

  addRateLimitHeaders: (headers, snapshots, now, { flavor }) => addOpenAIRateLimitHeaders(headers, flavor, snapshots, now),

  sendAnswer({ exchange, runtime, target, request, answer, headers }) {
    if (target.flavor === 'azure-openai') headers['apim-request-id'] = exchange.requestId;
    headers['content-type'] = 'application/json';
    headers['x-request-id'] = exchange.requestId;
    exchange.send(200, headers, openAIAnswerJson(answerParts(runtime, target, request, answer)), 'succeeded');
  },

  streamAnswer({ exchange, runtime, target, request, answer, headers }, ending) {
    if (target.flavor === 'azure-openai') headers['apim-request-id'] = exchange.requestId;
    return streamOpenAIAnswer(exchange, runtime, answerParts(runtime, target, request, answer), headers, ending);
  },

  sendEmbedding({ exchange, target, request, headers }) {
    const answerHeaders: OutgoingHttpHeaders = { 'content-type': 'application/json', 'x-request-id': exchange.requestId, ...headers };
    if (target.flavor === 'azure-openai') answerHeaders['apim-request-id'] = exchange.requestId;
    exchange.send(200, answerHeaders, embeddingsJson(request), 'succeeded');
  },
};

function answerParts(runtime: SimulatorRuntime, target: OpenAITarget, request: OpenAIRequest, answer: AnswerParts['answer']): AnswerParts {
  return {
    id: runtime.newId(target.endpoint === 'chat' ? 'chatcmpl' : 'resp'),
    itemId: runtime.newId('msg'),
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    request,
    answer,
  };
}

/** The handler for one target. */
export function openaiHandler(target: OpenAITarget): ExchangeHandler {
  return pipelineHandler(openaiWire, target);
}
