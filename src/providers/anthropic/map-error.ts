/**
 * Anthropic error answers → ProviderError. HTTP errors are classified by status first (the
 * statuses Anthropic documents), then by `error.type`; an `error` event inside a 200 stream has
 * only its `error.type`.
 */
import { pickAnthropicHeaders } from './api.ts';
import type { IncomingHttpHeaders } from 'node:http';
import { ProviderError, kindForStatus, type ErrorKind } from '../../executors/errors.ts';
import { retryAfterMs as retryAfterOf } from '../shared/rate-limits.ts';
import { anthropicErrorBodySchema, type AnthropicErrorBody } from './schemas.ts';
import {
  parseBody,
  summarizeText,
  headerValue,
  accountPrefix,
  unreadableResponseError,
  type UnreadableResponseOptions,
} from '../shared/error-body.ts';

const provider = 'anthropic';

const kindByStatus: ReadonlyMap<number, ErrorKind> = new Map([
  [400, 'invalid_request'],
  [401, 'auth'],
  [403, 'permission'],
  [404, 'not_found'],
  [408, 'timeout'],
  [413, 'context_length'],
  [429, 'rate_limited'],
  [500, 'server'],
  [529, 'overloaded'],
]);

const kindByErrorType: ReadonlyMap<string, ErrorKind> = new Map([
  ['invalid_request_error', 'invalid_request'],
  ['authentication_error', 'auth'],
  // Out of credit: the account cannot serve until someone pays, like a permission problem.
  ['billing_error', 'permission'],
  ['permission_error', 'permission'],
  ['not_found_error', 'not_found'],
  ['request_too_large', 'context_length'],
  ['rate_limit_error', 'rate_limited'],
  ['api_error', 'server'],
  ['overloaded_error', 'overloaded'],
  ['timeout_error', 'timeout'],
]);

/** Messages Anthropic uses when the prompt does not fit the model's context window. */
const contextLengthPattern =
  /prompt is too long|exceeds? (the )?(model'?s? )?context (window|limit)|input length and `?max_tokens`? exceed context limit/i;
/** Anthropic answers an empty prepaid balance with a 400 invalid_request_error. */
const creditBalancePattern = /credit balance is too low/i;

export interface AnthropicHttpErrorInput {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string>;
  /** The response body as text. */
  bodyText: string;
  accountId?: string;
}

export function mapAnthropicHttpError(input: AnthropicHttpErrorInput): ProviderError {
  const { status } = input;
  const rawBody = parseBody(input.bodyText);
  const parsed = anthropicErrorBodySchema.safeParse(rawBody);
  const errorBody = parsed.success ? parsed.data : undefined;

  let kind: ErrorKind =
    kindByStatus.get(status) ??
    (errorBody ? kindByErrorType.get(errorBody.error.type) : undefined) ??
    (status >= 500 ? 'server' : kindForStatus(status));
  const isBillingStop =
    errorBody !== undefined && (errorBody.error.type === 'billing_error' || creditBalancePattern.test(errorBody.error.message));
  if (kind === 'invalid_request' && errorBody) {
    if (contextLengthPattern.test(errorBody.error.message)) kind = 'context_length';
    else if (isBillingStop) kind = 'permission';
  }

  const retryAfterMs = retryAfterOf(input.headers);
  const requestId = errorBody?.request_id ?? headerValue(input.headers, 'request-id');
  const what = errorBody ? `${errorBody.error.type}: ${errorBody.error.message}` : summarizeText(input.bodyText);
  return new ProviderError({
    kind,
    provider,
    message: `${accountPrefix(provider, input.accountId)}${status} ${what}${requestId ? ` (request-id ${requestId})` : ''}`,
    statusCode: status,
    rawBody,
    headers: pickAnthropicHeaders(input.headers),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    // Billing stops are not fixed by waiting.
    ...(isBillingStop ? { retryable: false } : {}),
  });
}

/** An `error` event that arrived inside a 200 stream. */
export function mapAnthropicStreamError(
  body: AnthropicErrorBody,
  options: { statusCode?: number; accountId?: string } = {},
): ProviderError {
  let kind: ErrorKind = kindByErrorType.get(body.error.type) ?? 'server';
  if (kind === 'invalid_request' && contextLengthPattern.test(body.error.message)) kind = 'context_length';
  return new ProviderError({
    kind,
    provider,
    message: `${accountPrefix(provider, options.accountId)}error event in stream: ${body.error.type}: ${body.error.message}`,
    statusCode: options.statusCode,
    rawBody: body,
  });
}

/** A 2xx answer relayq could not read (not JSON, or not a message). Retrying may help. */
export function malformedResponseError(detail: string, options: UnreadableResponseOptions): ProviderError {
  return unreadableResponseError(provider, detail, options);
}
