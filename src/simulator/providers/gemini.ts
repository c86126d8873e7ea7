/**
 * The Gemini API: `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent` and
 * `:embedContent` (also under `/v1`), and the Vertex AI publisher paths
 * `/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:...`, with Google's auth
 * (`x-goog-api-key`, `?key=`, or `authorization: Bearer`), validation, errors and quota 429s.
 */
import type { LimitDimension } from '../buckets.ts';
import type { Exchange } from '../exchange.ts';
import type { ErrorFaultKind } from '../faults.ts';
import { InvalidBody, pipelineHandler, type SimulatedRequest, type WireFormat } from '../pipeline.ts';
import { bearerTokenOf, queryParam } from '../request-parts.ts';
import { googleAccessTokenPrefix } from '../tokens.ts';
import type { SimulatedProvider } from '../runtime.ts';
import { geminiInputTokensOf, geminiPromptTextOf, validateGenerateContentBody } from './gemini-request.ts';
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

type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'embedContent';

/** What a model path says. */
interface ModelTarget {
  /** `projects/{p}/locations/{l}/publishers/google/` on Vertex AI paths. */
  vertexPrefix: string | undefined;
  model: string;
  method: GeminiMethod;
}

interface GeminiRequest extends SimulatedRequest {
  /** Set for `:embedContent`: what to embed. */
  embed: GeminiEmbedRequest | undefined;
}

type Credential = { kind: 'api-key' | 'bearer'; value: string };

/** `x-goog-api-key`, else a `key` query parameter, else `authorization: Bearer`. */
function credentialOf(exchange: Exchange): Credential | undefined {
  const { headers } = exchange.req;
  const apiKey = headers['x-goog-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return { kind: 'api-key', value: apiKey };
  const key = queryParam(exchange.req.url, 'key');
  if (key !== null && key !== '') return { kind: 'api-key', value: key };
  const token = bearerTokenOf(headers);
  return token === undefined ? undefined : { kind: 'bearer', value: token };
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

const overloadedMessage = 'The model is overloaded. Please try again later.';

/** Error faults, as Google words them (too_large names the context window: see the refusal). */
const faultErrors: Readonly<Record<Exclude<ErrorFaultKind, 'too_large'>, [GoogleRpcStatus, string]>> = {
  overloaded: ['UNAVAILABLE', overloadedMessage],
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

/** The answer to a request without a credential, or with one the simulator does not accept. */
function refuseCredential(exchange: Exchange, target: ModelTarget, credential: Credential | undefined): undefined {
  if (credential === undefined && target.vertexPrefix !== undefined) {
    sendGoogleError(
      exchange,
      'UNAUTHENTICATED',
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other ' +
        'valid authentication credential.',
    );
  } else if (credential === undefined) {
    sendGoogleError(
      exchange,
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or " +
        'other form of API consumer identity to call this API.',
    );
  } else if (credential.kind === 'api-key') {
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

function modelNotFoundMessage(target: ModelTarget): string {
  return target.vertexPrefix !== undefined
    ? `Publisher Model \`${target.vertexPrefix}models/${target.model}\` was not found or your project does not have access to it.`
    : `models/${target.model} is not found for API version v1beta, or is not supported for generateContent. ` +
        'Call ListModels to see the list of available models and their supported methods.';
}

const geminiWire: WireFormat<ModelTarget, GeminiRequest> = {
  admitCaller(exchange, runtime, target) {
    const credential = credentialOf(exchange);
    if (credential === undefined) return refuseCredential(exchange, target, credential);
    let key = credential.value;
    if (credential.kind === 'bearer' && key.startsWith(googleAccessTokenPrefix)) {
      // An access token of the Google token endpoint: good until it expires; limits per service account.
      const checked = runtime.tokens.accessToken(key);
      if (checked.status !== 'valid') return refuseCredential(exchange, target, credential);
      key = checked.family;
    }
    const limiter = runtime.keys.limiterFor(key, Date.now());
    if (limiter === undefined) return refuseCredential(exchange, target, credential);
    exchange.key = key;
    return limiter;
  },

  readBody(body, target) {
    const { model } = target;
    if (target.method === 'embedContent') {
      const embed = validateEmbedContentBody(body);
      if (typeof embed === 'string') return new InvalidBody(embed);
      const { text, inputTokens } = embed;
      return { model, promptText: text, inputTokens, maxOutputTokens: 0, stopSequences: undefined, stream: false, embedding: true, embed };
    }
    const checked = validateGenerateContentBody(body);
    if (typeof checked === 'string') return new InvalidBody(checked);
    return {
      model,
      promptText: geminiPromptTextOf(checked.contents),
      inputTokens: geminiInputTokensOf(checked),
      maxOutputTokens: checked.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
      stopSequences: checked.stopSequences,
      stream: target.method === 'streamGenerateContent',
      embedding: false,
      embed: undefined,
    };
  },

  refuse(exchange, refusal, target) {
    switch (refusal.kind) {
      case 'method-not-allowed':
        return sendGoogleError(exchange, 'NOT_FOUND', `Method ${exchange.req.method ?? ''} not found; use POST`, { code: 405 });
      case 'body-too-large':
        return sendGoogleError(exchange, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit: 33554432 bytes.');
      case 'malformed-json':
        return sendGoogleError(exchange, 'INVALID_ARGUMENT', `Invalid JSON payload received. ${refusal.detail}`);
      case 'invalid-body':
        return sendGoogleError(exchange, 'INVALID_ARGUMENT', refusal.problem.message);
      case 'model-not-served':
        return sendGoogleError(exchange, 'NOT_FOUND', modelNotFoundMessage(target));
      case 'bad-directive':
        return sendGoogleError(exchange, 'INVALID_ARGUMENT', refusal.message);
      case 'fault': {
        const { fault } = refusal;
        if (fault === 'too_large') {
          const message =
            `The input token count (${refusal.request.inputTokens + CONTEXT_WINDOW_TOKENS}) exceeds the maximum ` +
            `number of tokens allowed (${CONTEXT_WINDOW_TOKENS}).`;
          return sendGoogleError(exchange, 'INVALID_ARGUMENT', message);
        }
        const [status, message] = faultErrors[fault];
        const details = fault === 'rate_limit' ? quotaDetails(undefined, target.model, refusal.retryAfterSeconds) : undefined;
        return sendGoogleError(exchange, status, message, details === undefined ? {} : { details });
      }
      case 'rate-limited': {
        const { dimension, limit } = refusal.admission;
        const quota = { quotaId: quotaIds[dimension], value: limit };
        return sendGoogleError(exchange, 'RESOURCE_EXHAUSTED', quotaMessage, {
          details: quotaDetails(quota, target.model, refusal.retryAfterSeconds),
        });
      }
      case 'stream-error':
        return sendGoogleError(exchange, 'UNAVAILABLE', overloadedMessage);
    }
  },

  sendAnswer({ exchange, runtime, request, answer, headers }) {
    headers['content-type'] = googleJson;
    const parts = { responseId: runtime.newId('resp'), model: request.model, inputTokens: request.inputTokens, answer };
    exchange.send(200, headers, generateContentJson(parts), 'succeeded');
  },

  streamAnswer({ exchange, runtime, request, answer, headers }, ending) {
    const parts = { responseId: runtime.newId('resp'), model: request.model, inputTokens: request.inputTokens, answer };
    const sse = queryParam(exchange.req.url, 'alt') === 'sse';
    return streamGenerateContent(exchange, runtime, parts, headers, { sse, ending });
  },

  sendEmbedding({ exchange, request }) {
    if (request.embed === undefined) throw new Error('an embedContent answer without the request to embed');
    exchange.send(200, { 'content-type': googleJson }, embedContentJson(request.embed), 'succeeded');
  },
};

export const geminiProvider: SimulatedProvider = {
  name: 'gemini',
  route(path) {
    const match = path.startsWith('/v1') && path.includes(':') ? pathPattern.exec(path) : null;
    if (match === null) return undefined;
    let model: string;
    try {
      model = decodeURIComponent(match[2] ?? '');
    } catch {
      model = match[2] ?? '';
    }
    return pipelineHandler(geminiWire, { vertexPrefix: match[1], model, method: match[3] as GeminiMethod });
  },
  notFound(exchange) {
    sendGoogleError(exchange, 'NOT_FOUND', `The requested URL ${exchange.path} was not found on this server.`);
  },
  internalError(exchange, message) {
    sendGoogleError(exchange, 'INTERNAL', message);
  },
};
