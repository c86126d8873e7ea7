/**
 * OpenAI's and Azure OpenAI's error answers and rate-limit headers, as the simulator sends them:
 * `{error: {message, type, param, code}}` bodies (Azure's with its own codes), `x-ratelimit-*`
 * headers with Go-style duration resets, and 429s with `retry-after` (plus `retry-after-ms` and
 * `x-ms-retry-after-ms` from Azure).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { BucketSnapshot } from '../buckets.ts';
import type { Exchange } from '../exchange.ts';
import type { ErrorFaultKind } from '../faults.ts';

export type OpenAIFlavor = 'openai' | 'azure-openai';

export interface OpenAIErrorObject {
  message: string;
  type?: string | null;
  param?: string | null;
  code?: string | null;
}

export interface OpenAIErrorAnswer {
  status: number;
  error: OpenAIErrorObject;
}

/** Sends `{error: {...}}` with the status; 429s count as rate-limited in the stats. */
export function sendOpenAIError(
  exchange: Exchange,
  flavor: OpenAIFlavor,
  answer: OpenAIErrorAnswer,
  headers: OutgoingHttpHeaders = {},
): void {
  headers['content-type'] = 'application/json';
  headers['x-request-id'] = exchange.requestId;
  if (flavor === 'azure-openai') headers['apim-request-id'] = exchange.requestId;
  const error =
    flavor === 'openai'
      ? {
          message: answer.error.message,
          type: answer.error.type ?? null,
          param: answer.error.param ?? null,
          code: answer.error.code ?? null,
        }
      : answer.error;
  exchange.sendError(answer.status, headers, JSON.stringify({ error }));
}

/** The answer to a request without a key, or with one the simulator does not accept. */
export function authError(flavor: OpenAIFlavor, missing: boolean): OpenAIErrorAnswer {
  if (flavor === 'azure-openai') {
    return {
      status: 401,
      error: {
        code: '401',
        message:
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key ' +
          'for an active subscription and use a correct regional API endpoint for your resource.',
      },
    };
  }
  return {
    status: 401,
    error: missing
      ? {
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using " +
            'Bearer auth (i.e. Authorization: Bearer YOUR_KEY).',
          type: 'invalid_request_error',
          code: null,
        }
      : { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  };
}

/** A path (or an Azure api-version) nothing serves. */
export function notFoundError(flavor: OpenAIFlavor, path: string): OpenAIErrorAnswer {
  return flavor === 'azure-openai'
    ? { status: 404, error: { code: '404', message: 'Resource not found' } }
    : {
        status: 404,
        error: { message: `Invalid URL (POST ${path})`, type: 'invalid_request_error', code: null },
      };
}

/** A model the simulator does not serve (Azure: a deployment that does not exist). */
export function modelNotFoundError(flavor: OpenAIFlavor, model: string): OpenAIErrorAnswer {
  return flavor === 'azure-openai'
    ? {
        status: 404,
        error: {
          code: 'DeploymentNotFound',
          message: `The API deployment ${model} for this resource does not exist.`,
        },
      }
    : {
        status: 404,
        error: {
          message: `The model \`${model}\` does not exist or you do not have access to it.`,
          type: 'invalid_request_error',
          code: 'model_not_found',
        },
      };
}

export function invalidRequestError(message: string, param: string | null = null, code: string | null = null): OpenAIErrorAnswer {
  return { status: 400, error: { message, type: 'invalid_request_error', param, code } };
}

/** A 429 body; the message names the wait the way each provider words it. */
export function rateLimitError(flavor: OpenAIFlavor, what: string, retryAfterMs: number): OpenAIErrorAnswer {
  if (flavor === 'azure-openai') {
    return {
      status: 429,
      error: {
        code: '429',
        message: `${what} Please retry after ${Math.max(1, Math.ceil(retryAfterMs / 1000))} seconds.`,
      },
    };
  }
  return {
    status: 429,
    error: {
      message: `${what} Please try again in ${formatDuration(retryAfterMs)}.`,
      type: what.includes('tokens') ? 'tokens' : 'requests',
      code: 'rate_limit_exceeded',
    },
  };
}

/** Headers of a 429: `retry-after` in whole seconds; Azure adds the milliseconds twice over. */
export function addRetryAfterHeaders(headers: OutgoingHttpHeaders, flavor: OpenAIFlavor, retryAfterMs: number): void {
  headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  if (flavor === 'azure-openai') {
    const ms = String(Math.max(1, Math.ceil(retryAfterMs)));
    headers['retry-after-ms'] = ms;
    headers['x-ms-retry-after-ms'] = ms;
  }
}

const overloadedMessage = 'The server is overloaded or not ready yet.';
const serverMessage = 'The server had an error while processing your request. Sorry about that!';

/** Error faults, per flavor; `rate_limit` is built by rateLimitError. */
export function faultError(flavor: OpenAIFlavor, fault: Exclude<ErrorFaultKind, 'rate_limit'>, model: string): OpenAIErrorAnswer {
  const azure = flavor === 'azure-openai';
  switch (fault) {
    case 'overloaded':
      return azure
        ? { status: 503, error: { code: 'ServiceUnavailable', message: overloadedMessage } }
        : { status: 503, error: { message: overloadedMessage, type: 'server_error', code: null } };
    case 'server':
      return azure
        ? { status: 500, error: { code: 'InternalServerError', message: serverMessage } }
        : { status: 500, error: { message: serverMessage, type: 'server_error', code: null } };
    case 'invalid':
      return invalidRequestError('messages: simulated invalid request', 'messages');
    case 'permission':
      return azure
        ? { status: 403, error: { code: 'PermissionDenied', message: 'Principal does not have access to API/Operation.' } }
        : {
            status: 403,
            error: { message: 'You are not allowed to use this model (simulated fault).', type: 'invalid_request_error', code: null },
          };
    case 'not_found':
      return modelNotFoundError(flavor, model);
    case 'too_large':
      return invalidRequestError(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. " +
          'Please reduce the length of the messages.',
        'messages',
        'context_length_exceeded',
      );
  }
}

/** The error a non-streamed request with the `stream-error` fault gets instead. */
export function overloadedError(flavor: OpenAIFlavor): OpenAIErrorAnswer {
  return faultError(flavor, 'overloaded', '');
}

/** The error frame a stream with the `stream-error` fault ends with. */
export const streamServerError: Required<OpenAIErrorObject> = {
  message: serverMessage,
  type: 'server_error',
  param: null,
  code: 'server_error',
};

/**
 * `x-ratelimit-{limit|remaining|reset}-{requests|tokens}`; `tokens` shows the more constrained of
 * the input and output token buckets. Azure sends no reset headers.
 */
export function addOpenAIRateLimitHeaders(
  headers: OutgoingHttpHeaders,
  flavor: OpenAIFlavor,
  snapshots: readonly BucketSnapshot[],
  now: number,
): void {
  let tokens: BucketSnapshot | undefined;
  for (const snapshot of snapshots) {
    if (snapshot.dimension === 'requests') setWindow(headers, flavor, 'requests', snapshot, now);
    else if (tokens === undefined || snapshot.remaining < tokens.remaining) tokens = snapshot;
  }
  if (tokens !== undefined) setWindow(headers, flavor, 'tokens', tokens, now);
}

function setWindow(
  headers: OutgoingHttpHeaders,
  flavor: OpenAIFlavor,
  name: 'requests' | 'tokens',
  snapshot: BucketSnapshot,
  now: number,
): void {
  headers[`x-ratelimit-limit-${name}`] = String(snapshot.limit);
  headers[`x-ratelimit-remaining-${name}`] = String(snapshot.remaining);
  if (flavor === 'openai') headers[`x-ratelimit-reset-${name}`] = formatDuration(snapshot.resetAt - now);
}

/** A duration the way OpenAI writes it (Go's format): `12ms`, `1s`, `1.5s`, `6m0s`, `1h2m3.5s`. */
export function formatDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = (whole % 60_000) / 1000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}
