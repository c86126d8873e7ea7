/**
 * The Anthropic Messages API: `POST /v1/messages` (JSON and SSE) and
 * `POST /v1/messages/count_tokens`, with Anthropic's auth, validation, errors and rate limits.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { composeAnswer, inputTokensOf, promptTextOf, simulatedAnswer } from '../answer.ts';
import type { KeyLimiter, LimitDimension } from '../buckets.ts';
import { DirectiveError, parseDirectives, type Directives } from '../directives.ts';
import type { Exchange } from '../exchange.ts';
import type { FaultKind } from '../faults.ts';
import type { ExchangeHandler, SimulatedProvider, SimulatorRuntime } from '../runtime.ts';
import { validateMessagesBody, type AnthropicMessagesBody } from './anthropic-request.ts';
import {
  addRateLimitHeaders,
  messageJson,
  sendAnthropicError,
  streamMessage,
  type AnthropicErrorType,
} from './anthropic-response.ts';

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

/** The key from `x-api-key`, else from `authorization: Bearer`. */
function apiKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.length > 7 && /^bearer /i.test(authorization)) {
    const token = authorization.slice(7).trim();
    if (token !== '') return token;
  }
  return undefined;
}

/** What every Messages endpoint checks first; undefined when an error was already sent. */
interface CheckedRequest {
  key: string;
  limiter: KeyLimiter;
  body: AnthropicMessagesBody;
  promptText: string;
  directives: Directives;
}

function checkRequest(exchange: Exchange, runtime: SimulatorRuntime, requireMaxTokens: boolean): CheckedRequest | undefined {
  const { req } = exchange;
  if (req.method !== 'POST') {
    sendAnthropicError(exchange, 'invalid_request_error', `Method ${req.method ?? ''} not allowed; use POST`, { allow: 'POST' }, 405);
    return undefined;
  }
  const key = apiKeyOf(req.headers);
  if (key === undefined) {
    sendAnthropicError(exchange, 'authentication_error', 'x-api-key header is required');
    return undefined;
  }
  const limiter = runtime.keys.limiterFor(key, Date.now());
  if (limiter === undefined) {
    sendAnthropicError(exchange, 'authentication_error', 'invalid x-api-key');
    return undefined;
  }
  exchange.key = key;
  if (!req.headers['anthropic-version']) {
    sendAnthropicError(exchange, 'invalid_request_error', 'anthropic-version: header is required');
    return undefined;
  }
  if (exchange.bodyTooLarge) {
    sendAnthropicError(exchange, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(exchange.body.toString('utf8'));
  } catch (error) {
    sendAnthropicError(
      exchange,
      'invalid_request_error',
      `There was an error parsing the body of your request: ${(error as Error).message}`,
    );
    return undefined;
  }
  const body = validateMessagesBody(parsed, requireMaxTokens);
  if (typeof body === 'string') {
    sendAnthropicError(exchange, 'invalid_request_error', body);
    return undefined;
  }
  if (!runtime.modelAllowed(body.model)) {
    sendAnthropicError(exchange, 'not_found_error', `model: ${body.model}`);
    return undefined;
  }
  const promptText = promptTextOf(body);
  let directives: Directives;
  try {
    directives = parseDirectives(promptText);
  } catch (error) {
    if (!(error instanceof DirectiveError)) throw error;
    sendAnthropicError(exchange, 'invalid_request_error', error.message);
    return undefined;
  }
  return { key, limiter, body, promptText, directives };
}

/** Faults answered with an error before admission: nothing is consumed, as with Anthropic. */
const errorFaults: Partial<Record<FaultKind, [AnthropicErrorType, string]>> = {
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

const handleMessages: ExchangeHandler = async (exchange, runtime) => {
  const checked = checkRequest(exchange, runtime, true);
  if (checked === undefined) return;
  const { limiter, body } = checked;
  const fault = runtime.faults.pick(checked.directives.fault);
  const errorFault = fault === undefined ? undefined : errorFaults[fault];
  if (fault !== undefined && errorFault !== undefined) {
    runtime.stats.faultInjected(fault);
    const headers: OutgoingHttpHeaders = {};
    if (limiter.limited) addRateLimitHeaders(headers, limiter.snapshot(Date.now()));
    if (fault === 'rate_limit') headers['retry-after'] = String(runtime.faults.rateLimitRetryAfterSeconds);
    sendAnthropicError(exchange, errorFault[0], errorFault[1], headers);
    return;
  }

  const inputTokens = inputTokensOf(body);
  const maxTokens = body.max_tokens;
  const admission = limiter.admit(inputTokens, maxTokens, Date.now());
  if (!admission.ok) {
    const headers: OutgoingHttpHeaders = {
      'retry-after': String(Math.max(1, Math.ceil(admission.retryAfterMs / 1000))),
    };
    addRateLimitHeaders(headers, limiter.snapshot(Date.now()));
    sendAnthropicError(
      exchange,
      'rate_limit_error',
      `This request would exceed your rate limit of ${admission.limit} ${dimensionWords[admission.dimension]}. ` +
        'Please reduce the prompt length or the maximum tokens requested, or try again later.',
      headers,
    );
    return;
  }
  exchange.inputTokens = inputTokens;
  exchange.release = () => limiter.complete(maxTokens, exchange.outputTokens, Date.now());
  // Counted once admitted: a fault that met a 429 first never happened.
  if (fault !== undefined) runtime.stats.faultInjected(fault);

  const delay = runtime.config.latencyMs + (fault === 'slow' ? runtime.faults.slowMs : 0);
  if (delay > 0) {
    await runtime.sleep(delay);
    if (exchange.gone) return;
  }
  const stream = body.stream === true;
  if (fault === 'drop' || (fault === 'cut-stream' && !stream)) {
    exchange.drop('dropped');
    return;
  }
  if (fault === 'stream-error' && !stream) {
    sendAnthropicError(exchange, 'overloaded_error', 'Overloaded');
    return;
  }

  const answer = composeAnswer(simulatedAnswer(checked.promptText), maxTokens, body.stop_sequences);
  const parts = { id: runtime.newId('msg'), model: body.model, inputTokens, answer };
  const headers: OutgoingHttpHeaders = {};
  if (limiter.limited) addRateLimitHeaders(headers, limiter.snapshot(Date.now()));
  if (stream) {
    const ending = fault === 'cut-stream' ? 'cut' : fault === 'stream-error' ? 'error' : 'complete';
    await streamMessage(exchange, runtime, parts, headers, ending);
    return;
  }
  exchange.outputTokens = answer.outputTokens;
  headers['content-type'] = 'application/json';
  headers['request-id'] = exchange.requestId;
  exchange.send(200, headers, messageJson(parts), 'succeeded');
};

/** `POST /v1/messages/count_tokens`: `{input_tokens}`, free of rate limits and faults. */
const handleCountTokens: ExchangeHandler = (exchange, runtime) => {
  const checked = checkRequest(exchange, runtime, false);
  if (checked === undefined) return;
  // Counted as a success; its tokens are not billed (exchange.inputTokens stays 0).
  exchange.send(
    200,
    { 'content-type': 'application/json', 'request-id': exchange.requestId },
    JSON.stringify({ input_tokens: inputTokensOf(checked.body) }),
    'succeeded',
  );
};
