/**
 * The Anthropic Messages API: `POST /v1/messages` (JSON and SSE) and
 * `POST /v1/messages/count_tokens`, with Anthropic's auth, validation, errors and rate limits.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { LimitDimension } from '../buckets.ts';
import type { Exchange } from '../exchange.ts';
import type { ErrorFaultKind } from '../faults.ts';
import { acceptRequest, InvalidBody, pipelineHandler, type SimulatedRequest, type WireFormat } from '../pipeline.ts';
import { bearerTokenOf } from '../request-parts.ts';
import { oauthAccessTokenPrefix } from '../tokens.ts';
import type { ExchangeHandler, SimulatedProvider } from '../runtime.ts';
import { messagesRequestOf, validateMessagesBody } from './anthropic-request.ts';
import {
  addRateLimitHeaders,
  messageJson,
  messagePartsOf,
  sendAnthropicError,
  streamMessage,
  type AnthropicErrorType,
} from './anthropic-response.ts';

/** The `anthropic-beta` flag a call with an OAuth access token must carry. */
const oauthBetaFlag = 'oauth-2025-04-20';

/** `count_tokens` takes the same body with `max_tokens` optional. */
type AnthropicEndpoint = 'messages' | 'count_tokens';

/** The key from `x-api-key`, else from `authorization: Bearer`. */
function apiKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  return bearerTokenOf(headers);
}

/** Error faults, as Anthropic words them. */
const faultErrors: Readonly<Record<ErrorFaultKind, [AnthropicErrorType, string]>> = {
  overloaded: ['overloaded_error', 'Overloaded'],
  server: ['api_error', 'Internal server error'],
  rate_limit: ['rate_limit_error', 'Rate limited (simulated fault). Please try again later.'],
  invalid: ['invalid_request_error', 'messages: simulated invalid request'],
  permission: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  not_found: ['not_found_error', 'Not Found (simulated fault)'],
  too_large: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
};

const dimensionWords: Readonly<Record<LimitDimension, string>> = {
  requests: 'requests per minute',
  'input-tokens': 'input tokens per minute',
  'output-tokens': 'output tokens per minute',
  concurrency: 'concurrent requests',
};

function refused(exchange: Exchange, type: AnthropicErrorType, message: string): undefined {
  sendAnthropicError(exchange, type, message);
  return undefined;
}

const anthropicWire: WireFormat<AnthropicEndpoint, SimulatedRequest> = {
  admitCaller(exchange, runtime) {
    const { headers } = exchange.req;
    let key = apiKeyOf(headers);
    if (key === undefined) return refused(exchange, 'authentication_error', 'x-api-key header is required');
    if (key.startsWith(oauthAccessTokenPrefix)) {
      // An OAuth access token of the token endpoint: a bearer token, with the OAuth beta flag.
      const checked = runtime.tokens.accessToken(key);
      if (checked.status === 'expired') {
        return refused(
          exchange,
          'authentication_error',
          'OAuth token has expired. Please obtain a new token or refresh your existing token.',
        );
      }
      if (checked.status !== 'valid') return refused(exchange, 'authentication_error', 'Invalid bearer token');
      const betas = String(headers['anthropic-beta'] ?? '').split(',');
      if (bearerTokenOf(headers) !== key || !betas.some((flag) => flag.trim() === oauthBetaFlag)) {
        return refused(exchange, 'authentication_error', 'OAuth authentication is currently not supported.');
      }
      // The account's limits follow the grant, not each short-lived token.
      key = checked.family;
    }
    const limiter = runtime.keys.limiterFor(key, Date.now());
    if (limiter === undefined) return refused(exchange, 'authentication_error', 'invalid x-api-key');
    exchange.key = key;
    if (!headers['anthropic-version']) {
      return refused(exchange, 'invalid_request_error', 'anthropic-version: header is required');
    }
    return limiter;
  },

  readBody(body, endpoint) {
    const checked = validateMessagesBody(body, endpoint === 'messages');
    if (typeof checked === 'string') return new InvalidBody(checked);
    return messagesRequestOf(checked, checked.model, checked.stream === true);
  },

  refuse(exchange, refusal) {
    switch (refusal.kind) {
      case 'method-not-allowed': {
        const message = `Method ${exchange.req.method ?? ''} not allowed; use POST`;
        return sendAnthropicError(exchange, 'invalid_request_error', message, { allow: 'POST' }, 405);
      }
      case 'body-too-large':
        return sendAnthropicError(exchange, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.');
      case 'malformed-json': {
        const message = `There was an error parsing the body of your request: ${refusal.detail}`;
        return sendAnthropicError(exchange, 'invalid_request_error', message);
      }
      case 'invalid-body':
        return sendAnthropicError(exchange, 'invalid_request_error', refusal.problem.message);
      case 'model-not-served':
        return sendAnthropicError(exchange, 'not_found_error', `model: ${refusal.request.model}`);
      case 'bad-directive':
        return sendAnthropicError(exchange, 'invalid_request_error', refusal.message);
      case 'fault': {
        const [type, message] = faultErrors[refusal.fault];
        if (refusal.fault === 'rate_limit') refusal.headers['retry-after'] = String(refusal.retryAfterSeconds);
        return sendAnthropicError(exchange, type, message, refusal.headers);
      }
      case 'rate-limited': {
        const { admission } = refusal;
        const message =
          `This request would exceed your rate limit of ${admission.limit} ${dimensionWords[admission.dimension]}. ` +
          'Please reduce the prompt length or the maximum tokens requested, or try again later.';
        const headers = { 'retry-after': String(refusal.retryAfterSeconds), ...refusal.headers };
        return sendAnthropicError(exchange, 'rate_limit_error', message, headers);
      }
      case 'stream-error':
        return sendAnthropicError(exchange, 'overloaded_error', 'Overloaded');
    }
  },

  addRateLimitHeaders,

  sendAnswer({ exchange, runtime, request, answer, headers }) {
    const parts = messagePartsOf(runtime.newId('msg'), request, answer);
    headers['content-type'] = 'application/json';
    headers['request-id'] = exchange.requestId;
    exchange.send(200, headers, messageJson(parts), 'succeeded');
  },

  streamAnswer({ exchange, runtime, request, answer, headers }, ending) {
    return streamMessage(exchange, runtime, messagePartsOf(runtime.newId('msg'), request, answer), headers, ending);
  },
};

/** `POST /v1/messages/count_tokens`: `{input_tokens}`, free of rate limits and faults. */
const handleCountTokens: ExchangeHandler = async (exchange, runtime) => {
  const accepted = await acceptRequest(anthropicWire, 'count_tokens', exchange, runtime);
  if (accepted === undefined) return;
  // Counted as a success; its tokens are not billed (exchange.inputTokens stays 0).
  exchange.send(
    200,
    { 'content-type': 'application/json', 'request-id': exchange.requestId },
    JSON.stringify({ input_tokens: accepted.request.inputTokens }),
    'succeeded',
  );
};

const handleMessages = pipelineHandler(anthropicWire, 'messages');

export const anthropicProvider: SimulatedProvider = {
  name: 'anthropic',
  route(path) {
    if (path === '/v1/messages') return handleMessages;
    if (path === '/v1/messages/count_tokens') return handleCountTokens;
    return undefined;
  },
  notFound(exchange) {
    sendAnthropicError(exchange, 'not_found_error', 'Not Found');
  },
  internalError(exchange, message) {
    sendAnthropicError(exchange, 'api_error', message);
  },
};
